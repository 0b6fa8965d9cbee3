// The console state, kept exactly as docs/console-protocol.md says: a
// snapshot replaces it, a delta with seq = last + 1 is applied to it (any
// other seq: the caller reconnects), a warning event appends a warning.
// Beside it, the timeline of the last minute, derived from the updates: per
// task, the polls and busy time added in each update interval, and the
// polls still running at an update.

export const TIMELINE_S = 60;
const MAX_WARNINGS = 256;
/** A poll at least this long is drawn as a stall (the detector's default). */
export const STALL_S = 0.1;

export const model = {
  ready: false,
  seq: 0,
  t: 0,
  process: null,
  runtime: null,
  tasks: new Map(),
  finished: new Map(),
  resources: new Map(),
  edges: [],
  cycles: [],
  histograms: null,
  warnings: [],
  /** task id -> {id, name, prev: {polls, busy}|null, bars: [], running: []} */
  lanes: new Map(),
};

const listeners = new Set();

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function notify(kind) {
  for (const fn of listeners) fn(kind);
}

function byId(list) {
  const m = new Map();
  for (const x of list ?? []) m.set(x.id, x);
  return m;
}

function applyChanges(map, change) {
  if (!change) return;
  for (const id of change.remove ?? []) map.delete(id);
  for (const x of change.upsert ?? []) map.set(x.id, x);
}

export function applySnapshot(s) {
  model.ready = true;
  model.seq = s.seq;
  model.t = s.t;
  model.process = s.process;
  model.runtime = s.runtime;
  model.tasks = byId(s.tasks);
  model.finished = byId(s.finished);
  model.resources = byId(s.resources);
  model.edges = s.edges ?? [];
  model.cycles = s.cycles ?? [];
  model.histograms = s.histograms;
  model.warnings = (s.warnings ?? []).slice(-MAX_WARNINGS);
  recordTimeline(/*baseline=*/true);
  notify('snapshot');
}

/** Applies a delta; false when its seq is not the next one (reconnect). */
export function applyDelta(d) {
  if (!model.ready || d.seq !== model.seq + 1) return false;
  model.seq = d.seq;
  const prevT = model.t;
  model.t = d.t;
  if (d.runtime) model.runtime = d.runtime;
  applyChanges(model.tasks, d.tasks);
  applyChanges(model.finished, d.finished);
  applyChanges(model.resources, d.resources);
  if (d.edges) model.edges = d.edges;
  if (d.cycles) model.cycles = d.cycles;
  if (d.histograms) model.histograms = d.histograms;
  recordTimeline(false, prevT);
  notify('delta');
  return true;
}

export function applyWarning(ev) {
  if (!model.ready) return;
  model.warnings.push(ev.warning);
  if (model.warnings.length > MAX_WARNINGS) model.warnings.shift();
  notify('warning');
}

/** A live or retained task by id, or undefined. */
export function findTask(id) {
  return model.tasks.get(id) ?? model.finished.get(id);
}

function recordTimeline(baseline, prevT) {
  const t = model.t;
  const seen = new Set();
  for (const task of [...model.tasks.values(), ...model.finished.values()]) {
    const st = task.stats;
    if (!st) continue;
    seen.add(task.id);
    let lane = model.lanes.get(task.id);
    if (!lane) {
      lane = { id: task.id, name: task.name, prev: null, bars: [], running: [] };
      model.lanes.set(task.id, lane);
    }
    lane.name = task.name;
    lane.state = task.state;
    if (!baseline && lane.prev && prevT !== undefined && t > prevT) {
      const polls = st.polls - lane.prev.polls;
      const busy = st.busy_s - lane.prev.busy;
      if (polls > 0 || busy > 1e-9) {
        // Mean poll length in the interval; one long poll (a stall) shows.
        const mean = polls > 0 ? busy / polls : busy;
        lane.bars.push({ t0: prevT, t1: t, polls, busy, stall: mean >= STALL_S });
      }
    }
    if (task.state === 'running' && task.running_s >= STALL_S) {
      lane.running.push({ t0: t - task.running_s, t1: t, worker: task.worker });
    }
    lane.prev = { polls: st.polls, busy: st.busy_s };
  }
  const from = t - TIMELINE_S;
  for (const [id, lane] of model.lanes) {
    lane.bars = lane.bars.filter((b) => b.t1 >= from);
    lane.running = lane.running.filter((b) => b.t1 >= from);
    if (!seen.has(id)) {
      lane.prev = null;
      lane.state = 'gone';
      if (lane.bars.length === 0 && lane.running.length === 0) model.lanes.delete(id);
    }
  }
}
