// The web console in a real browser (headless Chromium through
// puppeteer-core) against running programs: examples/console_demo and
// tests/integration/programs/hang_program abba (a two-mutex deadlock),
// leaked_sender (a channel whose sender the joining task still holds),
// parked_reply (a reply sender kept in a std::vector), pending_calls (a
// reply sender in a client's member map, found through `this`) and
// kept_session (a writer's sender, a member of the session it holds).
// Screenshots go to $LUCID_WEB_ARTIFACTS. Exits 77 (ctest: skipped) only
// when no browser is installed. Run by ctest (web_console_browser).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactsDir, findBrowser, required, startProgram } from './lib.mjs';

const browserPath = findBrowser();
if (!browserPath) {
  console.log('SKIPPED: no browser to drive: install Debian\'s chromium (scripts/setup.sh does) or set LUCID_BROWSER');
  process.exit(77);
}
const { default: puppeteer } = await import('puppeteer-core');

const demo = required('LUCID_CONSOLE_DEMO');
const hang = required('LUCID_HANG_PROGRAM');
const sourceDir = required('LUCID_SOURCE_DIR');
const shots = artifactsDir();
const DEMO_NAMES = ['pool-worker', 'ingest', 'slow-consumer', 'order-client', 'reporter'];

let browser;

/** A page at 1280x800 that records console errors, page errors and requests. */
async function openPage(url) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const log = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') log.errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => log.errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A stream cut when the page closes or resynchronises is not an error.
    if (!/events$/.test(r.url())) log.errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('request', (r) => log.requests.push(r.url()));
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  return { page, log };
}

async function rowNames(page) {
  return page.$$eval('#task-rows tr td.name', (tds) => tds.map((td) => td.textContent));
}

before(async () => {
  browser = await puppeteer.launch({
    executablePath: browserPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--window-size=1280,800'],
  });
});
after(async () => {
  await browser?.close();
});

describe('console_demo', () => {
  let prog;
  let page;
  let log;
  before(async () => {
    prog = await startProgram(demo, ['60']);
    ({ page, log } = await prog.explain(() => openPage(`${prog.url}/#/tasks`)));
  });
  after(async () => {
    await page?.close();
    prog?.stop();
  });

  test('the table lists the example\'s tasks', async () => {
    await page.waitForFunction(
      (names) => {
        const got = [...document.querySelectorAll('#task-rows td.name')].map((td) => td.textContent);
        return names.every((n) => got.includes(n));
      },
      { timeout: 15000 },
      DEMO_NAMES,
    );
    const names = await rowNames(page);
    assert.equal(names.filter((n) => n === 'pool-worker').length, 4, names.join(','));
    assert.equal(names.filter((n) => n === 'order-client').length, 3, names.join(','));
    await page.screenshot({ path: join(shots, 'tasks.png') });
    // The README's picture (docs/images/ holds a copy): the table, cropped.
    await page.screenshot({ path: join(shots, 'web-console-tasks.png'), clip: { x: 0, y: 0, width: 1280, height: 530 } });
  });

  test('sorting by a column orders the rows', async () => {
    await page.click('th[data-key="name"]');
    const asc = await rowNames(page);
    assert.deepEqual(asc, [...asc].sort((a, b) => a.localeCompare(b)));
    await page.click('th[data-key="name"]');
    const desc = await rowNames(page);
    assert.deepEqual(desc, [...desc].sort((a, b) => b.localeCompare(a)));
    await page.click('th[data-key="id"]');
  });

  test('typing in the filter narrows the table', async () => {
    const before = (await rowNames(page)).length;
    await page.type('#task-filter', 'order');
    await page.waitForFunction(() => document.querySelectorAll('#task-rows tr').length === 3);
    assert.deepEqual(await rowNames(page), ['order-client', 'order-client', 'order-client']);
    // A field filter: name:slow.
    await page.click('#task-filter', { clickCount: 3 });
    await page.type('#task-filter', 'name:slow');
    await page.waitForFunction(() => document.querySelectorAll('#task-rows tr').length === 1);
    assert.deepEqual(await rowNames(page), ['slow-consumer']);
    assert.ok(before > 3);
  });

  test('clicking a task shows its await line', async () => {
    const src = readFileSync(join(sourceDir, 'examples/console_demo.cpp'), 'utf8').split('\n');
    const lines = src
      .map((l, i) => [l, i + 1])
      .filter(([l]) => /co_await in\.recv\(\)|sleep\(200ms\)/.test(l))
      .map(([, n]) => `examples/console_demo.cpp:${n}`);
    assert.equal(lines.length, 2);
    await page.$eval('#task-rows tr td.name a', (a) => a.click());
    await page.waitForSelector('#task-detail .chain');
    await page.waitForFunction(
      (want) => want.some((w) => document.querySelector('#task-detail .chain')?.textContent.includes(w)),
      { timeout: 5000 },
      lines,
    );
    const text = await page.$eval('#task-detail', (el) => el.textContent);
    assert.match(text, /slow-consumer/);
    assert.ok(await page.$('#poll-histogram'), 'the poll-time histogram is drawn');
    assert.ok(await page.$('#scheduled-histogram'), 'the scheduled-time histogram is drawn');
    await page.screenshot({ path: join(shots, 'task-detail.png') });
  });

  test('a producer on a full channel shows the task that receives from it', async () => {
    await page.goto(`${prog.url}/#/tasks`);
    await page.waitForSelector('#task-filter');
    await page.click('#task-filter', { clickCount: 3 });
    await page.type('#task-filter', 'name:ingest');
    await page.waitForFunction(() => document.querySelectorAll('#task-rows tr').length === 1);
    // Clicked inside the page: the live table may re-render its rows
    // between a lookup from here and the click.
    await page.$eval('#task-rows tr td.name a', (a) => a.click());
    await page.waitForFunction(
      () => /received by\s*slow-consumer/.test(document.querySelector('#task-detail')?.textContent ?? ''),
      { timeout: 5000 },
    );
    const text = await page.$eval('#task-detail', (el) => el.textContent);
    assert.match(text, /received at\s*examples\/console_demo\.cpp:\d+/);
  });

  test('the timeline shows the reporter\'s stall', async () => {
    await page.goto(`${prog.url}/#/timeline`);
    await page.waitForSelector('#timeline-svg .lane[data-name="reporter"] .stall', { timeout: 15000 });
    await page.screenshot({ path: join(shots, 'timeline.png') });
  });

  test('the other views render', async () => {
    for (const [view, sel] of [
      ['tree', '#task-tree li.tree-node'],
      ['resources', '#resource-rows tr'],
      ['graph', '#graph-svg .gnode'],
      ['warnings', '#warning-rows tr.warning'],
    ]) {
      await page.goto(`${prog.url}/#/${view}`);
      await page.waitForSelector(sel, { timeout: 10000 });
      await page.screenshot({ path: join(shots, `${view}.png`) });
    }
    // The tree collapses.
    await page.goto(`${prog.url}/#/tree`);
    await page.waitForSelector('#task-tree button.toggle');
    const before = await page.$$eval('#task-tree li.tree-node', (l) => l.length);
    await page.click('#task-tree button.toggle');
    const afterCollapse = await page.$$eval('#task-tree li.tree-node', (l) => l.length);
    assert.ok(afterCollapse < before, `${afterCollapse} < ${before}`);
  });

  test('no console errors; no request leaves the console server', async () => {
    assert.deepEqual(log.errors, []);
    for (const u of log.requests) assert.ok(u.startsWith(`${prog.url}/`), u);
  });
});

describe('hang_program abba (a deadlock)', () => {
  let prog;
  test('the graph marks the cycle in red', async () => {
    prog = await startProgram(hang, ['abba'], { LUCID_DEADLOCK_MS: '300' });
    await prog.explain(async () => {
      const { page, log } = await openPage(`${prog.url}/#/graph`);
      try {
        await page.waitForFunction(() => document.querySelectorAll('#graph-svg .gedge.in-cycle').length === 4, { timeout: 15000 });
        const nodes = await page.$$eval('#graph-svg .gnode.in-cycle', (ns) => ns.map((n) => n.dataset.id).sort());
        assert.equal(nodes.length, 4, nodes.join(','));
        assert.equal(nodes.filter((n) => n.startsWith('task:')).length, 2);
        assert.equal(nodes.filter((n) => n.startsWith('resource:')).length, 2);
        // Read in one evaluation: the graph is redrawn at each update, and a
        // path read after a redraw is detached (no computed stroke).
        const stroke = await page.waitForFunction(() => {
          const p = document.querySelector('#graph-svg .gedge.in-cycle path');
          const s = p && getComputedStyle(p).stroke;
          return s === 'rgb(214, 47, 47)' ? s : false;
        }, { timeout: 5000 }).then((h) => h.jsonValue(), () => 'not red within 5 s');
        assert.equal(stroke, 'rgb(214, 47, 47)');
        assert.match(await page.$eval('#graph-cycles', (e) => e.textContent), /Deadlock: .*transfer_/);
        // Once the tasks are in the header too (the first update can predate them).
        await page.waitForFunction(() => /· [1-9]\d* tasks/.test(document.getElementById('program').textContent), { timeout: 5000 });
        await page.screenshot({ path: join(shots, 'graph-deadlock.png') });
        await page.screenshot({ path: join(shots, 'web-console-graph.png'), clip: { x: 0, y: 0, width: 1280, height: 330 } });
        // A node links to its task's detail.
        await page.click('#graph-svg .gnode.task.in-cycle');
        await page.waitForSelector('#task-detail .chain');
        assert.match(await page.$eval('#task-detail h2', (e) => e.textContent), /transfer_[ab]/);
        // The deadlock warning links to a task.
        await page.goto(`${prog.url}/#/warnings`);
        await page.waitForSelector('#warning-rows tr.kind-deadlock a.task-link', { timeout: 10000 });
        assert.deepEqual(log.errors, []);
      } finally {
        await page.close();
      }
    }).finally(prog.stop);
  });
});

/**
 * The text of the detail of the one task that `filter` leaves in `prog`'s
 * task table, once `ready` matches it; the page logged no error.
 */
async function taskDetail(prog, filter, ready) {
  const { page, log } = await openPage(`${prog.url}/#/tasks`);
  try {
    await page.waitForSelector('#task-filter');
    await page.type('#task-filter', filter);
    await page.waitForFunction(() => document.querySelectorAll('#task-rows tr').length === 1, { timeout: 10000 });
    await page.$eval('#task-rows tr td.name a', (a) => a.click());
    await page.waitForFunction(
      (src) => new RegExp(src).test(document.querySelector('#task-detail')?.textContent ?? ''),
      { timeout: 10000 },
      ready.source,
    );
    const text = await page.$eval('#task-detail', (el) => el.textContent);
    assert.deepEqual(log.errors, []);
    return text;
  } finally {
    await page.close();
  }
}

// Hangs whose wait names the task that (probably) holds the sender: the
// program and its arguments, the task to open, what its detail shows once
// the search is done, and the holder with the frame it is found from.
const HOLDER_CASES = [
  {
    title: 'leaked_sender (a sender left in the task that joins)',
    test: 'the consumer\'s wait names the task whose frame holds the sender',
    args: ['leaked_sender'], env: { LUCID_DEADLOCK_MS: '300' }, filter: 'name:consumer',
    ready: /sender held by\s*main #\d+ \(at/,
    holder: /main #\d+ \(at tests\/integration\/programs\/hang_program\.cpp:\d+ in leaked_sender\)/,
  },
  {
    title: 'parked_reply (a reply sender kept in a std::vector)',
    test: 'the asker\'s wait names the task whose vector probably holds the sender',
    args: ['parked_reply'], filter: 'name:asker',
    ready: /sender probably held by\s*backend #\d+ via a container/,
    holder: /backend #\d+ via a container in its frame \(at tests\/integration\/programs\/hang_program\.cpp:\d+ in backend\)/,
  },
  {
    title: 'pending_calls (a reply sender kept in a client\'s member map)',
    test: 'the caller\'s wait names the reader, whose frame points to the client',
    args: ['pending_calls'], filter: 'name:caller',
    ready: /sender probably held by\s*reader #\d+ via a container in an object/,
    holder: /reader #\d+ via a container in an object its frame points to \(at tests\/integration\/programs\/hang_program\.cpp:\d+ in read_loop\)/,
  },
  {
    title: 'kept_session (a writer\'s own session keeps its channel open)',
    test: 'the writer\'s wait names itself, whose frame points to the session holding its sender',
    args: ['kept_session'], filter: 'name:session_writer',
    ready: /sender probably held by\s*session_writer #\d+ in an object/,
    holder: /session_writer #\d+ in an object its frame points to \(at tests\/integration\/programs\/hang_program\.cpp:\d+ in session_writer\)/,
  },
  {
    title: 'server_registry (sessions kept in a server object\'s member map)',
    test: 'the writer\'s wait names the server, whose object\'s map points to the session',
    args: ['server_registry'], filter: 'name:hub_writer_1',
    ready: /sender probably held by\s*session_hub #\d+ in an object listed/,
    holder: /session_hub #\d+ in an object listed in a container of an object its frame points to \(at tests\/integration\/programs\/hang_program\.cpp:\d+ in serve\)/,
  },
];

for (const c of HOLDER_CASES) {
  describe(`hang_program ${c.title}`, () => {
    test(c.test, async () => {
      const prog = await startProgram(hang, c.args, c.env ?? {});
      await prog.explain(async () => {
        assert.match(await taskDetail(prog, c.filter, c.ready), c.holder);
      }).finally(prog.stop);
    });
  });
}

describe('console_demo with LUCID_CONSOLE_TOKEN', () => {
  test('the page asks for the token once and keeps it for the tab', async () => {
    const prog = await startProgram(demo, ['60'], { LUCID_CONSOLE_TOKEN: 'web-s3cret' });
    await prog.explain(async () => {
      const { page, log } = await openPage(`${prog.url}/#/tasks`);
      try {
        await page.waitForSelector('#token-dialog:not([hidden])', { timeout: 10000 });
        await page.screenshot({ path: join(shots, 'token.png') });
        await page.type('#token-input', 'web-s3cret');
        await page.click('#token-form button[type="submit"]');
        await page.waitForFunction(() => document.querySelectorAll('#task-rows tr').length > 5, { timeout: 10000 });
        assert.equal(await page.$eval('#token-dialog', (d) => d.hidden), true);
        // A reload in the same tab does not ask again.
        await page.reload({ waitUntil: 'domcontentloaded' });
        await page.waitForFunction(() => document.querySelectorAll('#task-rows tr').length > 5, { timeout: 10000 });
        assert.equal(await page.$eval('#token-dialog', (d) => d.hidden), true);
        // The only errors: the browser's own report of the first, tokenless 401.
        const others = log.errors.filter((e) => !/status of 401/.test(e));
        assert.deepEqual(others, []);
      } finally {
        await page.close();
      }
    }).finally(prog.stop);
  });
});
