// One task: its await chain with file:line, what it waits on (and who holds
// that), its wakers and wakes, and its poll-time and scheduled-time
// histograms as bar charts (Chart.js). Read with GET /api/v1/tasks/{id} at
// each update, so the chain is current.
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { getJSON } from './api.js';
import { findTask, model } from './model.js';
import { dur, guessed, h, holderRole, locFull, ns, taskLink, viaText, waitText } from './util.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

function chain(list) {
  if (!list || list.length === 0) return h('p', { class: 'muted' }, 'no await chain (not suspended in a lucid await)');
  return h(
    'ol',
    { class: 'chain' },
    list.map((l, i) =>
      h('li', { class: 'await-line' }, h('code', {}, locFull(l)), i === 0 ? h('span', { class: 'muted' }, '  (innermost)') : ''),
    ),
  );
}

function holders(list) {
  if (!list || list.length === 0) return 'nobody';
  return list.map((x, i) => [
    i ? ', ' : '',
    taskLink(x.task, `${findTask(x.task)?.name ?? 'task'} #${x.task}`),
    ` since ${dur(x.held_s)} at `,
    h('code', {}, locFull(x.acquired_at)),
  ]);
}

// Tasks, each with a location: a full bounded channel's receiving task
// ('received at' the co_await where it first received), or the tasks whose
// frames hold an empty channel's senders, a semaphore's permits or a
// receiver that has not received yet ('at' the co_await that frame is
// suspended at, with its function).
function tasksAt(list, at) {
  return list.map((x, i) => [
    i ? ', ' : '',
    taskLink(x.task, `${findTask(x.task)?.name ?? 'task'} #${x.task}`),
    viaText(x),
    ` (${at} `,
    h('code', {}, locFull(x.acquired_at)),
    ')',
  ]);
}

function wait(w) {
  if (!w) return h('p', { class: 'muted' }, 'not waiting on anything');
  const rows = [
    ['waits on', w.resource ? h('a', { href: `#/resources/${w.resource}` }, waitText(w)) : waitText(w)],
    ['for', dur(w.waiting_s)],
    ['will be woken by', w.woken_by],
  ];
  if (w.joined) rows.push(['joins', taskLink(w.joined, `task #${w.joined}`)]);
  if (w.created_at) rows.push(['created at', h('code', {}, locFull(w.created_at))]);
  const role = holderRole(w.kind, w.length);
  if (role === 'receiver' && w.holders && w.holders.some((x) => x.in_frame || guessed(x))) rows.push(['receiver held by', tasksAt(w.holders, 'at')]);
  else if (role === 'receiver' && w.holders && w.holders.length) rows.push(['received by', tasksAt(w.holders, 'received at')]);
  else if ((role === 'sender' || role === 'permit') && w.holders && w.holders.length) {
    // Holders found in containers or objects are guesses (console-protocol.md).
    const probably = w.holders.every(guessed);
    rows.push([`${role} ${probably ? 'probably ' : ''}held by`, tasksAt(w.holders, 'at')]);
  }
  else if (w.holders && (w.kind === 'mutex' || w.kind === 'rw_lock' || w.holders.length)) rows.push(['held by', holders(w.holders)]);
  for (const k of ['capacity', 'length', 'senders', 'permits', 'readers', 'closed'])
    if (w[k] !== undefined && w[k] >= 0) rows.push([k, String(w[k])]);
  return kv(rows, 'wait');
}

function kv(rows, id) {
  return h('table', { class: 'kv', id }, rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))));
}

function histogramChart(canvas, hist, color) {
  const buckets = hist?.buckets ?? [];
  const data = {
    labels: buckets.map((b) => `${ns(b[0])}`),
    datasets: [{ data: buckets.map((b) => b[2]), backgroundColor: color, barPercentage: 1, categoryPercentage: 0.95 }],
  };
  return new Chart(canvas, {
    type: 'bar',
    data,
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => {
              const b = buckets[items[0].dataIndex];
              return b ? `${ns(b[0])} – ${ns(b[1])}` : '';
            },
          },
        },
      },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxRotation: 60, autoSkip: true } } },
    },
  });
}

function histogramSummary(hist) {
  if (!hist || hist.count === 0) return 'no samples yet';
  return `${hist.count} samples · p50 ${ns(hist.p50)} · p90 ${ns(hist.p90)} · p99 ${ns(hist.p99)} · max ${ns(hist.max)}`;
}

export const detailView = {
  mount(root, params) {
    this.id = Number(params[0]);
    this.root = root;
    this.charts = [];
    this.key = '';
    this.body = h('div', { id: 'task-detail' }, h('p', { class: 'muted' }, 'loading…'));
    root.append(this.body);
    this.refresh();
  },
  unmount() {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    this.gen = (this.gen ?? 0) + 1;
  },
  update(kind) {
    if (kind === 'delta' || kind === 'snapshot') this.refresh();
  },
  async refresh() {
    const gen = (this.gen = (this.gen ?? 0) + 1);
    let t;
    try {
      t = await getJSON(`/api/v1/tasks/${this.id}`);
    } catch (e) {
      if (gen !== this.gen) return;
      if (e.status === 404) {
        const known = findTask(this.id);
        if (!known) {
          this.body.replaceChildren(h('p', { class: 'error' }, `Task #${this.id} is gone (not live and no longer retained).`));
          return;
        }
        t = known;
      } else {
        this.body.replaceChildren(h('p', { class: 'error' }, String(e.message ?? e)));
        return;
      }
    }
    if (gen !== this.gen) return;
    this.render(t);
  },
  render(t) {
    const st = t.stats;
    const parent = t.parent ? findTask(t.parent) : null;
    const info = [
      ['state', h('span', { class: `badge state-${t.state}` }, t.state)],
      ['spawned at', h('code', {}, locFull(t.spawned_at))],
      ['parent', t.parent ? taskLink(t.parent, `${parent?.name ?? 'task'} #${t.parent}`) : '–'],
    ];
    if (t.state === 'running') info.push(['running', `on worker ${t.worker} for ${dur(t.running_s)}`]);
    if (t.finished_ago_s >= 0) info.push(['finished', `${dur(t.finished_ago_s)} ago`]);
    if (t.cancel_requested) info.push(['cancel', 'requested']);
    const children = [...model.tasks.values()].filter((c) => c.parent === t.id);
    if (children.length) info.push(['children', children.map((c, i) => [i ? ', ' : '', taskLink(c.id, `${c.name} #${c.id}`)])]);

    const stats = st
      ? kv(
          [
            ['polls', String(st.polls)],
            ['busy / scheduled / idle', `${dur(st.busy_s)} / ${dur(st.scheduled_s)} / ${dur(st.idle_s)}`],
            ['total', dur(st.total_s)],
            ['first poll after', dur(st.first_poll_after_s)],
            ['wakes', `self ${st.wakes.self} · other task ${st.wakes.other_task} · runtime ${st.wakes.runtime} · external ${st.wakes.external}`],
            ['wakers', `registered ${st.wakers.registered} · released ${st.wakers.released} · outstanding ${st.wakers.registered - st.wakers.released}`],
          ],
          'stats',
        )
      : h('p', { class: 'muted' }, 'no statistics (spawned before aggregation was on)');

    const key = `${t.id}`;
    const polls = h('canvas', { id: 'poll-histogram', 'aria-label': 'poll duration histogram' });
    const sched = h('canvas', { id: 'scheduled-histogram', 'aria-label': 'scheduled latency histogram' });
    const reuse = this.key === key && this.charts.length === 2;
    const content = [
      h('h2', {}, t.name || '(unnamed)', ' ', h('span', { class: 'muted' }, `#${t.id}`)),
      h(
        'div',
        { class: 'columns' },
        h('section', {}, kv(info, 'info'), h('h3', {}, 'Await chain'), chain(t.chain), h('h3', {}, 'Waits on'), wait(t.wait),
          (t.branches ?? []).length
            ? [h('h3', {}, 'Branches (select / timeout / when_all)'), t.branches.map((b, i) => h('div', { class: 'branch' }, h('h4', {}, `branch ${i + 1}`), chain(b.chain), wait(b.wait)))]
            : ''),
        h(
          'section',
          {},
          h('h3', {}, 'Polls, wakes and wakers'),
          stats,
          h('h3', {}, 'Poll duration'),
          h('p', { class: 'muted', id: 'poll-summary' }, histogramSummary(st?.poll_duration_ns)),
          reuse ? this.pollBox : (this.pollBox = h('div', { class: 'chart' }, polls)),
          h('h3', {}, 'Scheduled latency (wake to poll)'),
          h('p', { class: 'muted' }, histogramSummary(st?.scheduled_latency_ns)),
          reuse ? this.schedBox : (this.schedBox = h('div', { class: 'chart' }, sched)),
        ),
      ),
    ];
    this.body.replaceChildren(...content);
    if (reuse) {
      this.setData(this.charts[0], st?.poll_duration_ns);
      this.setData(this.charts[1], st?.scheduled_latency_ns);
    } else {
      for (const c of this.charts) c.destroy();
      this.key = key;
      this.charts = [histogramChart(polls, st?.poll_duration_ns, '#2a6fdb'), histogramChart(sched, st?.scheduled_latency_ns, '#d9822b')];
    }
  },
  setData(chart, hist) {
    const buckets = hist?.buckets ?? [];
    chart.data.labels = buckets.map((b) => ns(b[0]));
    chart.data.datasets[0].data = buckets.map((b) => b[2]);
    chart.options.plugins.tooltip.callbacks.title = (items) => {
      const b = buckets[items[0].dataIndex];
      return b ? `${ns(b[0])} – ${ns(b[1])}` : '';
    };
    chart.update('none');
  },
};
