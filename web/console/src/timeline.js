// The last minute, one lane per task: a bar for each update interval in
// which the task was polled (its shade is the share of the interval it was
// busy), red where its polls were long (a mean of at least STALL_S) or where
// it was seen running for that long, and a red mark at each stall warning.
// Drawn as SVG: lanes of rectangles need no layout or chart library.
import { STALL_S, TIMELINE_S, model } from './model.js';
import { dur, h, s } from './util.js';

const LANE_H = 20;
const LABEL_W = 190;
const AXIS_H = 22;

export const timelineView = {
  mount(root) {
    this.box = h('div', { id: 'timeline', class: 'timeline-box' });
    root.append(
      h(
        'p',
        { class: 'muted legend' },
        'Last minute, one lane per task. ',
        h('span', { class: 'swatch poll' }),
        ' polled (darker: busier) ',
        h('span', { class: 'swatch stall' }),
        ` a poll of ${dur(STALL_S)} or more (a stall: the worker was blocked) `,
        h('span', { class: 'swatch mark' }),
        ' stall warning',
      ),
      this.box,
    );
    this.onResize = () => this.render();
    window.addEventListener('resize', this.onResize);
    this.render();
  },
  unmount() {
    window.removeEventListener('resize', this.onResize);
  },
  update() {
    this.render();
  },
  render() {
    const width = Math.max(600, this.box.clientWidth - 4);
    const now = model.t;
    const from = now - TIMELINE_S;
    const plotW = width - LABEL_W - 10;
    const x = (t) => LABEL_W + ((Math.max(from, Math.min(now, t)) - from) / TIMELINE_S) * plotW;
    const lanes = [...model.lanes.values()].sort((a, b) => a.id - b.id);
    const stalls = new Map();
    for (const w of model.warnings) {
      if (w.kind !== 'stall' || w.t < from) continue;
      if (!stalls.has(w.task)) stalls.set(w.task, []);
      stalls.get(w.task).push(w);
    }
    const height = AXIS_H + lanes.length * LANE_H + 4;
    const svg = s('svg', { id: 'timeline-svg', width, height, viewBox: `0 0 ${width} ${height}` });
    // The axis: a tick every 10 s.
    const axis = s('g', { class: 'axis' });
    for (let k = 0; k <= TIMELINE_S; k += 10) {
      const xx = LABEL_W + (k / TIMELINE_S) * plotW;
      axis.append(s('line', { x1: xx, x2: xx, y1: AXIS_H - 4, y2: height, class: 'tick' }));
      axis.append(s('text', { x: xx, y: AXIS_H - 8 }, k === TIMELINE_S ? 'now' : `-${TIMELINE_S - k} s`));
    }
    svg.append(axis);
    lanes.forEach((lane, i) => {
      const y = AXIS_H + i * LANE_H;
      const g = s('g', { class: `lane${lane.state === 'gone' ? ' gone' : ''}`, 'data-task': lane.id, 'data-name': lane.name });
      g.append(s('rect', { x: 0, y, width, height: LANE_H, class: i % 2 ? 'lane-bg odd' : 'lane-bg' }));
      const label = s('a', { href: `#/task/${lane.id}` }, s('text', { x: 6, y: y + 14, class: 'lane-label' }, `${lane.name || '(unnamed)'} #${lane.id}`));
      g.append(label);
      for (const b of lane.bars) {
        if (b.t1 < from) continue;
        const frac = Math.min(1, b.busy / Math.max(1e-3, b.t1 - b.t0));
        const x0 = x(b.t0);
        g.append(
          s(
            'rect',
            {
              x: x0 + 0.5,
              y: y + 3,
              width: Math.max(1.5, x(b.t1) - x0 - 1),
              height: LANE_H - 6,
              class: b.stall ? 'bar stall' : 'bar poll',
              'fill-opacity': b.stall ? 0.9 : (0.25 + 0.75 * Math.sqrt(frac)).toFixed(2),
            },
            s('title', {}, `${b.polls} polls, busy ${dur(b.busy)} of ${dur(b.t1 - b.t0)}${b.stall ? ` (mean poll ${dur(b.busy / Math.max(1, b.polls))}: a stall)` : ''}`),
          ),
        );
      }
      for (const r of lane.running) {
        const x0 = x(r.t0);
        g.append(
          s(
            'rect',
            { x: x0, y: y + 1, width: Math.max(3, x(r.t1) - x0), height: LANE_H - 2, class: 'bar running stall' },
            s('title', {}, `running on worker ${r.worker} for ${dur(r.t1 - r.t0)} at an update`),
          ),
        );
      }
      for (const w of stalls.get(lane.id) ?? []) {
        const xx = x(w.t);
        g.append(s('path', { d: `M${xx - 5},${y + 1} L${xx + 5},${y + 1} L${xx},${y + 9} z`, class: 'mark stall-warning' }, s('title', {}, w.message)));
      }
      svg.append(g);
    });
    if (lanes.length === 0) {
      this.box.replaceChildren(h('p', { class: 'muted' }, 'No task statistics yet.'));
      return;
    }
    this.box.replaceChildren(svg);
  },
};
