// The page's protocol logic without a browser: the SSE parser, the state
// kept as docs/console-protocol.md says (snapshot, delta seq = last + 1,
// warning), the timeline derived from the updates, and the table filter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSSE } from '../src/api.js';
import { applyDelta, applySnapshot, applyWarning, model } from '../src/model.js';
import { matches, parseFilter } from '../src/tasks.js';
import { guessed, viaText } from '../src/util.js';

const stats = (polls, busy) => ({ polls, busy_s: busy, total_s: 1, scheduled_s: 0, idle_s: 1 });
const task = (id, name, extra = {}) => ({ id, parent: 0, name, state: 'idle', running_s: -1, worker: -1, chain: [], wait: null, spawned_at: null, ...extra });

test('SSE: events split on blank lines, a partial event waits for the rest', () => {
  const [evs, rest] = parseSSE('event: delta\nid: 4\ndata: {"seq":4}\n\nevent: warning\nid: 4\nda');
  assert.deepEqual(evs, [{ event: 'delta', id: '4', data: '{"seq":4}' }]);
  const [more, rest2] = parseSSE(`${rest}ta: {"w":1}\n\n`);
  assert.deepEqual(more, [{ event: 'warning', id: '4', data: '{"w":1}' }]);
  assert.equal(rest2, '');
  const [crlf] = parseSSE('event: snapshot\r\ndata: a\r\ndata: b\r\n\r\n');
  assert.deepEqual(crlf, [{ event: 'snapshot', id: '', data: 'a\nb' }]);
});

test('a snapshot replaces the state; a delta with seq + 1 applies; any other seq is refused', () => {
  applySnapshot({
    type: 'snapshot', seq: 5, t: 5, process: { pid: 1, program: 'p' }, runtime: { live: 2 },
    tasks: [task(1, 'a', { stats: stats(1, 0.001) }), task(2, 'b', { stats: stats(1, 0.001) })],
    finished: [], resources: [{ id: 9, kind: 'mutex' }], edges: [], cycles: [], histograms: null,
    warnings: [{ kind: 'stall', task: 1, message: 'm', t: 4 }],
  });
  assert.equal(model.seq, 5);
  assert.deepEqual([...model.tasks.keys()], [1, 2]);
  assert.equal(model.warnings.length, 1);

  assert.equal(applyDelta({ type: 'delta', seq: 7, t: 7 }), false, 'a gap: reconnect');
  assert.equal(model.seq, 5, 'a refused delta changes nothing');

  const ok = applyDelta({
    type: 'delta', seq: 6, t: 6, runtime: { live: 2 },
    tasks: { upsert: [task(2, 'b2', { stats: stats(3, 0.201) }), task(3, 'c', { stats: stats(0, 0) })], remove: [1] },
    finished: { upsert: [task(1, 'a', { state: 'completed', stats: stats(1, 0.001) })], remove: [] },
    resources: { upsert: [], remove: [9] }, edges: [{ kind: 'waits_on', task: 3, resource: 4, other: 0 }], cycles: [[3]],
  });
  assert.equal(ok, true);
  assert.equal(model.seq, 6);
  assert.deepEqual([...model.tasks.keys()].sort(), [2, 3]);
  assert.equal(model.tasks.get(2).name, 'b2');
  assert.deepEqual([...model.finished.keys()], [1]);
  assert.equal(model.resources.size, 0);
  assert.deepEqual(model.cycles, [[3]]);
  // Task 2: 2 polls and 200 ms busy in the interval: a mean of 100 ms, a stall.
  const bars = model.lanes.get(2).bars;
  assert.equal(bars.length, 1);
  assert.deepEqual({ ...bars[0] }, { t0: 5, t1: 6, polls: 2, busy: 0.2, stall: true });

  applyWarning({ type: 'warning', seq: 6, t: 6.2, warning: { kind: 'deadlock', task: 3, message: 'd', t: 6.2 } });
  assert.equal(model.warnings.at(-1).kind, 'deadlock');
  assert.equal(model.seq, 6, 'a warning does not change seq');
});

test('a task seen running long at an update is a stall on the timeline', () => {
  applySnapshot({ type: 'snapshot', seq: 1, t: 1, tasks: [task(4, 'r', { stats: stats(1, 0) })], finished: [], resources: [], warnings: [] });
  applyDelta({ type: 'delta', seq: 2, t: 2, tasks: { upsert: [task(4, 'r', { state: 'running', running_s: 0.3, worker: 0, stats: stats(1, 0) })], remove: [] } });
  assert.deepEqual(model.lanes.get(4).running, [{ t0: 1.7, t1: 2, worker: 0 }]);
});

test('the filter: plain terms match name, state, location or wait; field:text one column; all must match', () => {
  const t = task(7, 'order-client', { state: 'idle', chain: [{ file: 'src/net/tcp.cpp', line: 85 }], wait: { kind: 'mutex', resource: 8 } });
  const yes = (f) => assert.ok(matches(t, parseFilter(f)), f);
  const no = (f) => assert.ok(!matches(t, parseFilter(f)), f);
  yes('order');
  yes('ORDER idle');
  yes('tcp.cpp:85');
  yes('name:client');
  yes('state=idle');
  yes('wait:mutex#8');
  yes('id=7');
  no('name:idle');
  no('state=idl');
  no('order running');
});

test('a holder found by a search says where, as the dump does; one in its frame is no guess', () => {
  const inFrame = { in_frame: true };
  const container = { in_container: true };
  const objectContainer = { in_container: true, via_object: true };
  const member = { via_object: true };
  assert.equal(guessed(inFrame), false);
  for (const x of [container, objectContainer, member]) assert.equal(guessed(x), true);
  assert.equal(viaText(inFrame), '');
  assert.equal(viaText(container), ' via a container in its frame');
  assert.equal(viaText(objectContainer), ' via a container in an object its frame points to');
  assert.equal(viaText(member), ' in an object its frame points to');
  assert.equal(viaText(container, true), ' via a container');
  assert.equal(viaText(objectContainer, true), ' via a container in an object it points to');
  assert.equal(viaText(member, true), ' in an object it points to');
  const registered = { via_object: true, via_element: true };
  assert.equal(guessed(registered), true);
  assert.equal(viaText(registered), ' in an object a container in its frame points to');
  assert.equal(viaText(registered, true), ' in an object a container in it points to');
  const serverRegistry = { via_object: true, via_object_element: true };
  assert.equal(guessed(serverRegistry), true);
  assert.equal(
    viaText(serverRegistry),
    ' in an object listed in a container of an object its frame points to',
  );
  assert.equal(
    viaText(serverRegistry, true),
    ' in an object listed in a container of an object it points to',
  );
});
