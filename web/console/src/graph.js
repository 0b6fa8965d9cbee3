// The wait-for graph (GET /api/v1/graph): tasks and resources as nodes,
// waits_on / held_by / joins as edges, laid out by dagre and drawn as SVG.
// What is in a cycle gets the class `in-cycle` (drawn red). A task node
// links to its detail, a resource node to the resources view.
import { graphlib, layout } from '@dagrejs/dagre';
import { getJSON } from './api.js';
import { h, locFull, s } from './util.js';

const NODE_H = 36;

function nodeWidth(label) {
  return Math.max(90, Math.min(260, label.length * 7.2 + 24));
}

export function renderGraph(g) {
  const dg = new graphlib.Graph({ multigraph: true });
  dg.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 50, marginx: 16, marginy: 16 });
  dg.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) dg.setNode(n.id, { width: nodeWidth(n.label), height: NODE_H, node: n });
  // One edge per (from, to, kind): the server may list a held_by edge once
  // per waiter of the resource.
  const seen = new Map();
  for (const e of g.edges) {
    const key = `${e.from}|${e.to}|${e.kind}`;
    const prev = seen.get(key);
    if (prev) prev.in_cycle ||= e.in_cycle;
    else seen.set(key, { ...e });
  }
  [...seen.values()].forEach((e, i) => {
    // dagre keeps room for the label and says where it goes (x, y).
    if (dg.hasNode(e.from) && dg.hasNode(e.to))
      dg.setEdge(e.from, e.to, { edge: e, width: e.kind.length * 6 + 6, height: 14, labelpos: 'c' }, `e${i}`);
  });
  layout(dg);
  const { width, height } = dg.graph();
  const svg = s('svg', {
    id: 'graph-svg',
    class: 'graph',
    width: Math.ceil(width),
    height: Math.ceil(height),
    viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`,
    role: 'img',
    'aria-label': 'wait-for graph',
  });
  svg.append(
    s(
      'defs',
      {},
      s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' })),
      s('marker', { id: 'arrow-cycle', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow cycle' })),
    ),
  );
  for (const ed of dg.edges()) {
    const { edge: e, points, x: lx, y: ly } = dg.edge(ed);
    const d = points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    svg.append(
      s(
        'g',
        { class: `gedge ${e.kind}${e.in_cycle ? ' in-cycle' : ''}`, 'data-from': e.from, 'data-to': e.to },
        s('path', { d, 'marker-end': e.in_cycle ? 'url(#arrow-cycle)' : 'url(#arrow)' }),
        s('rect', { x: lx - e.kind.length * 3 - 2, y: ly - 7, width: e.kind.length * 6 + 4, height: 14, class: 'edge-label-bg' }),
        s('text', { x: lx, y: ly + 4, class: 'edge-label' }, e.kind.replace('_', ' ')),
        s('title', {}, `${e.from} ${e.kind} ${e.to}${e.at ? ` at ${locFull(e.at)}` : ''}`),
      ),
    );
  }
  for (const id of dg.nodes()) {
    const v = dg.node(id);
    const n = v.node;
    const href = n.type === 'task' ? `#/task/${n.task}` : `#/resources/${n.resource}`;
    const a = s(
      'a',
      { href, class: `gnode ${n.type}${n.in_cycle ? ' in-cycle' : ''}${n.state ? ` state-${n.state}` : ''}`, 'data-id': n.id },
      s('rect', { x: v.x - v.width / 2, y: v.y - v.height / 2, width: v.width, height: v.height, rx: n.type === 'task' ? 6 : 0 }),
      s('text', { x: v.x, y: v.y + 4 }, n.label),
      s('title', {}, n.type === 'task' ? `${n.label} (${n.state}): open its detail` : `${n.label} created at ${locFull(n.created_at)}`),
    );
    svg.append(a);
  }
  return svg;
}

export const graphView = {
  mount(root) {
    this.info = h('div', { id: 'graph-info' });
    this.box = h('div', { id: 'graph', class: 'graph-box' });
    root.append(
      h(
        'p',
        { class: 'muted' },
        'Who waits for whom: a task → the resource it waits on → the task holding it. A cycle is a deadlock; it is drawn in red. Click a node for its detail.',
      ),
      this.info,
      this.box,
    );
    this.refresh();
  },
  unmount() {
    this.gen = (this.gen ?? 0) + 1;
  },
  update(kind) {
    if (kind === 'delta' || kind === 'snapshot') this.refresh();
  },
  async refresh() {
    const gen = (this.gen = (this.gen ?? 0) + 1);
    let g;
    try {
      g = await getJSON('/api/v1/graph');
    } catch (e) {
      if (gen === this.gen) this.info.replaceChildren(h('p', { class: 'error' }, String(e.message ?? e)));
      return;
    }
    if (gen !== this.gen) return;
    const labels = new Map(g.nodes.map((n) => [n.id, n.label]));
    this.info.replaceChildren(
      g.cycles.length
        ? h(
            'div',
            { class: 'cycles', id: 'graph-cycles' },
            g.cycles.map((c) => h('p', { class: 'cycle' }, 'Deadlock: ', c.map((id) => labels.get(id) ?? id).join(' → '), ' → ', labels.get(c[0]) ?? c[0])),
          )
        : h('p', { class: 'muted' }, `${g.nodes.length} nodes, ${g.edges.length} edges, no cycle.`),
    );
    if (g.nodes.length === 0) {
      this.box.replaceChildren(h('p', { class: 'muted' }, 'No task waits on a resource or a join right now.'));
      return;
    }
    this.box.replaceChildren(renderGraph(g));
  },
};
