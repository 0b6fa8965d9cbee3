// DOM and formatting helpers. Text always goes in through textContent:
// task names and messages come from the program.

/** h('a', {href: '#', class: 'x'}, 'text', child...) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function loc(l) {
  if (!l) return '';
  return `${l.file}:${l.line}`;
}

export function locFull(l) {
  if (!l) return '?';
  return l.function ? `${l.file}:${l.line} in ${l.function}` : `${l.file}:${l.line}`;
}

/** Seconds, human-sized. */
export function dur(sec) {
  if (sec === undefined || sec === null || sec < 0) return '–';
  if (sec === 0) return '0';
  if (sec < 1e-6) return `${(sec * 1e9).toFixed(0)} ns`;
  if (sec < 1e-3) return `${(sec * 1e6).toFixed(1)} µs`;
  if (sec < 1) return `${(sec * 1e3).toFixed(1)} ms`;
  if (sec < 120) return `${sec.toFixed(2)} s`;
  return `${(sec / 60).toFixed(1)} min`;
}

export function ns(v) {
  return dur(v / 1e9);
}

export function taskLink(id, label) {
  return h('a', { href: `#/task/${id}`, class: 'task-link', dataset: { task: id } }, label ?? `#${id}`);
}

// What a resource's holders are to its waiters (holder_role in
// lucid/console/console.hpp): 'receiver' for a full mpsc channel (the task
// receiving from it), 'sender' for an empty mpsc or a oneshot channel (the
// tasks whose frames hold its live senders), 'permit' for a semaphore (the
// tasks whose frames hold its permits), 'lock' for a lock's takers.
export function holderRole(kind, length) {
  if (kind === 'oneshot') return 'sender';
  if (kind === 'semaphore') return 'permit';
  if (kind === 'mpsc') return length > 0 ? 'receiver' : 'sender';
  return 'lock';
}

// A holder found by a search of its frame's words (a container there, or an
// object the frame points to): a lead, not proof (holder::guessed in
// lucid/console/console.hpp).
export function guessed(x) {
  return Boolean(x.in_container || x.via_object);
}

// Where a guessed holder keeps the handle, as the dump says it ('' for one
// found in its frame); `short` leaves out "its frame" (the resources table).
export function viaText(x, short = false) {
  const container = x.in_container ? ' via a container' : '';
  if (x.via_object && x.via_object_element) {
    return `${container} in an object listed in a container of an object ${short ? 'it' : 'its frame'} points to`;
  }
  if (x.via_object) {
    const from = x.via_element ? `a container in ${short ? 'it' : 'its frame'}` : short ? 'it' : 'its frame';
    return `${container} in an object ${from} points to`;
  }
  return container && !short ? `${container} in its frame` : container;
}

export function waitText(w) {
  if (!w) return '';
  let t = w.kind;
  if (w.resource) t += `#${w.resource}`;
  if (w.joined) t += ` (task #${w.joined})`;
  if (w.what) t += ` ${w.what}`;
  return t;
}
