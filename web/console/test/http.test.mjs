// The console server serves the web page: content types, the
// Content-Security-Policy, no inline script, and the token rules (the page
// and its assets load without the token; the API still wants it). Needs no
// browser. Run by ctest (web_console_http) with LUCID_CONSOLE_DEMO set.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { required, startProgram } from './lib.mjs';

const demo = required('LUCID_CONSOLE_DEMO');

describe('the page, without a token', () => {
  let prog;
  before(async () => {
    prog = await startProgram(demo, ['60']);
  });
  after(() => prog?.stop());

  test('/ is the page, with a strict CSP and no inline script', async () => {
    const r = await fetch(`${prog.url}/`);
    const body = await r.text();
    assert.equal(r.status, 200);
    assert.ok(
      !/was not built/.test(body),
      `the web page was not built into console_demo (is node/npm installed? see the build log):\n${body}`,
    );
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(body, /<script src="\/assets\/app\.js"/);
    // Every <script> has a src: none is inline.
    for (const m of body.matchAll(/<script\b([^>]*)>/g)) assert.match(m[1], /\bsrc=/, m[0]);
    // Nothing is loaded from another origin.
    assert.doesNotMatch(body, /(src|href)="(https?:)?\/\//);
  });

  test('assets have their content types; an unknown one is 404', async () => {
    for (const [path, type] of [
      ['/assets/app.js', 'text/javascript; charset=utf-8'],
      ['/assets/app.css', 'text/css; charset=utf-8'],
      ['/assets/favicon.svg', 'image/svg+xml'],
      ['/index.html', 'text/html; charset=utf-8'],
    ]) {
      const r = await fetch(prog.url + path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get('content-type'), type, path);
      assert.ok((await r.arrayBuffer()).byteLength > 0, path);
    }
    const js = await (await fetch(`${prog.url}/assets/app.js`)).text();
    assert.doesNotMatch(js, /https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\/[^"'\s]*\.(js|css|json)/i, 'the bundle loads nothing from elsewhere');
    const missing = await fetch(`${prog.url}/assets/nope.js`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type'), 'application/json');
  });
});

describe('the page, with LUCID_CONSOLE_TOKEN', () => {
  let prog;
  before(async () => {
    prog = await startProgram(demo, ['60'], { LUCID_CONSOLE_TOKEN: 'web-s3cret' });
  });
  after(() => prog?.stop());

  test('the page and its assets load without the token; the API wants it', async () => {
    for (const path of ['/', '/assets/app.js', '/assets/app.css']) assert.equal((await fetch(prog.url + path)).status, 200, path);
    const no = await fetch(`${prog.url}/api/v1/snapshot`);
    assert.equal(no.status, 401);
    const wrong = await fetch(`${prog.url}/api/v1/snapshot`, { headers: { Authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    const yes = await fetch(`${prog.url}/api/v1/snapshot`, { headers: { Authorization: 'Bearer web-s3cret' } });
    assert.equal(yes.status, 200);
    assert.equal((await yes.json()).type, 'snapshot');
  });
});
