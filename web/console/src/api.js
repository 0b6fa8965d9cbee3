// The console protocol client (docs/console-protocol.md): GET requests with
// the tab's token, and the /api/v1/events stream read with fetch() and a
// stream reader (EventSource cannot send an Authorization header).

const TOKEN_KEY = 'lucid-console-token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(t) {
  sessionStorage.setItem(TOKEN_KEY, t);
}

function headers() {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

/** A 401 from the server: the page must ask for the token. */
export class AuthError extends Error {
  constructor() {
    super('the console server wants a token');
  }
}

/** GET `path` as JSON; throws AuthError on 401, Error with the server's message otherwise. */
export async function getJSON(path) {
  const r = await fetch(path, { headers: headers(), cache: 'no-store' });
  if (r.status === 401) throw new AuthError();
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    const e = new Error(body?.error ?? `${path}: HTTP ${r.status}`);
    e.status = r.status;
    throw e;
  }
  return body;
}

/** Splits a Server-Sent Events text into events; returns [events, rest]. */
export function parseSSE(text) {
  const events = [];
  let rest = text.replace(/\r\n?/g, '\n');
  for (;;) {
    const end = rest.indexOf('\n\n');
    if (end < 0) break;
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    const ev = { event: 'message', id: '', data: [] };
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') ev.event = value;
      else if (field === 'id') ev.id = value;
      else if (field === 'data') ev.data.push(value);
    }
    if (ev.data.length > 0) events.push({ event: ev.event, id: ev.id, data: ev.data.join('\n') });
  }
  return [events, rest];
}

/**
 * The event stream. `onEvent(type, json)` returns false when the event cannot
 * be applied (a delta out of sequence): the stream then reconnects and starts
 * again from a snapshot. `onStatus(text, ok)` reports the connection;
 * `onAuth()` a 401.
 */
export class EventStream {
  constructor({ onEvent, onStatus, onAuth }) {
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.onAuth = onAuth;
    this.stopped = true;
    this.ctrl = null;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop();
  }

  stop() {
    this.stopped = true;
    this.ctrl?.abort();
  }

  async loop() {
    let backoff = 500;
    while (!this.stopped) {
      this.ctrl = new AbortController();
      let resync = false;
      try {
        const r = await fetch('/api/v1/events', {
          headers: { ...headers(), Accept: 'text/event-stream' },
          cache: 'no-store',
          signal: this.ctrl.signal,
        });
        if (r.status === 401) {
          this.stopped = true;
          this.onAuth();
          return;
        }
        if (!r.ok || !r.body) throw new Error(`events: HTTP ${r.status}`);
        this.onStatus('live', true);
        backoff = 500;
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          let events;
          [events, buf] = parseSSE(buf + value);
          for (const ev of events) {
            let data;
            try {
              data = JSON.parse(ev.data);
            } catch {
              resync = true;
              break;
            }
            if (this.onEvent(ev.event, data) === false) {
              resync = true;
              break;
            }
          }
          if (resync) {
            this.ctrl.abort();
            break;
          }
        }
      } catch (e) {
        if (this.stopped) return;
        if (!resync) {
          this.onStatus(`disconnected (${e.message ?? e}); retrying…`, false);
        }
      }
      if (this.stopped) return;
      if (resync) {
        this.onStatus('resynchronising…', false);
        continue;
      }
      this.onStatus('disconnected; retrying…', false);
      await new Promise((res) => setTimeout(res, backoff));
      backoff = Math.min(backoff * 2, 5000);
    }
  }
}
