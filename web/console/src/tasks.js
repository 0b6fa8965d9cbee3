// The task table (sort by any column; filter by name, state, location or
// field) and the task tree (parent/child, collapsible).
import { model } from './model.js';
import { h, loc, dur, taskLink, waitText } from './util.js';

const COLUMNS = [
  { key: 'id', label: 'ID', num: true, get: (t) => t.id },
  { key: 'name', label: 'Name', get: (t) => t.name },
  { key: 'state', label: 'State', get: (t) => t.state },
  { key: 'worker', label: 'Worker', num: true, get: (t) => t.worker, fmt: (v) => (v < 0 ? '' : v) },
  { key: 'polls', label: 'Polls', num: true, get: (t) => t.stats?.polls ?? -1, fmt: (v) => (v < 0 ? '–' : v) },
  { key: 'busy', label: 'Busy', num: true, get: (t) => t.stats?.busy_s ?? -1, fmt: dur },
  { key: 'scheduled', label: 'Sched', num: true, get: (t) => t.stats?.scheduled_s ?? -1, fmt: dur },
  { key: 'idle', label: 'Idle', num: true, get: (t) => t.stats?.idle_s ?? -1, fmt: dur },
  { key: 'total', label: 'Total', num: true, get: (t) => t.stats?.total_s ?? -1, fmt: dur },
  { key: 'location', label: 'Location', get: (t) => loc(t.chain?.[0] ?? t.spawned_at) },
  { key: 'wait', label: 'Waits on', get: (t) => waitText(t.wait) },
  { key: 'waiting', label: 'Waiting', num: true, get: (t) => t.wait?.waiting_s ?? -1, fmt: dur },
];
const FIELDS = new Set(COLUMNS.map((c) => c.key).concat(['spawned', 'parent']));

/** The table's settings survive leaving and coming back to the view. */
const ui = { sort: 'id', desc: false, filter: '', finished: false };

/** Terms separated by spaces, all must match: `text` (name, state, location, wait) or `field:text`. */
export function parseFilter(text) {
  return text
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((term) => {
      const m = /^([a-z]+)(:|=)(.*)$/i.exec(term);
      if (m && FIELDS.has(m[1].toLowerCase())) return { field: m[1].toLowerCase(), exact: m[2] === '=', text: m[3].toLowerCase() };
      return { field: null, text: term.toLowerCase() };
    });
}

function fieldText(t, field) {
  if (field === 'spawned') return loc(t.spawned_at);
  if (field === 'parent') return String(t.parent);
  const c = COLUMNS.find((c) => c.key === field);
  return String(c.get(t));
}

export function matches(t, terms) {
  return terms.every((term) => {
    if (term.field) {
      const v = fieldText(t, term.field).toLowerCase();
      return term.exact ? v === term.text : v.includes(term.text);
    }
    return [t.name, t.state, loc(t.chain?.[0]), loc(t.spawned_at), waitText(t.wait), `#${t.id}`].some((v) =>
      (v ?? '').toLowerCase().includes(term.text),
    );
  });
}

export const tableView = {
  mount(root) {
    this.input = h('input', {
      id: 'task-filter',
      type: 'search',
      placeholder: 'filter: text, or field:text (name: state: location: wait: …)',
      value: ui.filter,
      oninput: (e) => {
        ui.filter = e.target.value;
        this.render();
      },
    });
    this.finishedBox = h('input', {
      type: 'checkbox',
      id: 'show-finished',
      checked: ui.finished,
      onchange: (e) => {
        ui.finished = e.target.checked;
        this.render();
      },
    });
    this.count = h('span', { class: 'muted', id: 'task-count' });
    this.head = h('tr');
    this.body = h('tbody', { id: 'task-rows' });
    root.append(
      h('div', { class: 'toolbar' }, this.input, h('label', {}, this.finishedBox, ' finished'), this.count),
      h('div', { class: 'scroll' }, h('table', { id: 'task-table', class: 'grid' }, h('thead', {}, this.head), this.body)),
    );
    this.render();
  },
  update() {
    this.render();
  },
  render() {
    this.head.replaceChildren(
      ...COLUMNS.map((c) =>
        h(
          'th',
          {
            class: c.num ? 'num sortable' : 'sortable',
            dataset: { key: c.key },
            'aria-sort': ui.sort === c.key ? (ui.desc ? 'descending' : 'ascending') : 'none',
            onclick: () => {
              if (ui.sort === c.key) ui.desc = !ui.desc;
              else {
                ui.sort = c.key;
                ui.desc = false;
              }
              this.render();
            },
          },
          c.label,
          ui.sort === c.key ? (ui.desc ? ' ▾' : ' ▴') : '',
        ),
      ),
    );
    const terms = parseFilter(ui.filter);
    let list = [...model.tasks.values()];
    if (ui.finished) list = list.concat([...model.finished.values()]);
    const total = list.length;
    list = list.filter((t) => matches(t, terms));
    const col = COLUMNS.find((c) => c.key === ui.sort) ?? COLUMNS[0];
    list.sort((a, b) => {
      const x = col.get(a);
      const y = col.get(b);
      const r = col.num ? x - y : String(x).localeCompare(String(y));
      return (ui.desc ? -r : r) || a.id - b.id;
    });
    this.count.textContent = `${list.length} of ${total} tasks`;
    this.body.replaceChildren(
      ...list.map((t) =>
        h(
          'tr',
          {
            class: `task-row row-${t.state}`,
            dataset: { task: t.id },
            onclick: (e) => {
              if (e.target.closest('a')) return;
              location.hash = `#/task/${t.id}`;
            },
          },
          COLUMNS.map((c) => {
            const v = c.get(t);
            if (c.key === 'name') return h('td', { class: 'name' }, taskLink(t.id, t.name || '(unnamed)'));
            if (c.key === 'state') return h('td', {}, h('span', { class: `badge state-${t.state}` }, t.state));
            return h('td', { class: c.num ? 'num' : '' }, c.fmt ? c.fmt(v) : v);
          }),
        ),
      ),
    );
  },
};

const collapsed = new Set();

export const treeView = {
  mount(root) {
    this.root = h('div', { id: 'task-tree', class: 'tree' });
    root.append(
      h('p', { class: 'muted' }, 'Tasks by parent (the task that spawned them). Click ▸ to expand or collapse.'),
      this.root,
    );
    this.render();
  },
  update() {
    this.render();
  },
  render() {
    const all = [...model.tasks.values()];
    const ids = new Set(all.map((t) => t.id));
    const children = new Map();
    const roots = [];
    for (const t of all.sort((a, b) => a.id - b.id)) {
      if (t.parent && ids.has(t.parent)) {
        if (!children.has(t.parent)) children.set(t.parent, []);
        children.get(t.parent).push(t);
      } else roots.push(t);
    }
    const node = (t) => {
      const kids = children.get(t.id) ?? [];
      const open = !collapsed.has(t.id);
      return h(
        'li',
        { class: 'tree-node', dataset: { task: t.id } },
        kids.length
          ? h(
              'button',
              {
                class: 'toggle',
                'aria-expanded': open ? 'true' : 'false',
                title: open ? 'collapse' : 'expand',
                onclick: () => {
                  if (open) collapsed.add(t.id);
                  else collapsed.delete(t.id);
                  this.render();
                },
              },
              open ? '▾' : '▸',
            )
          : h('span', { class: 'toggle-space' }),
        taskLink(t.id, t.name || '(unnamed)'),
        ' ',
        h('span', { class: 'muted' }, `#${t.id}`),
        ' ',
        h('span', { class: `badge state-${t.state}` }, t.state),
        kids.length && !open ? h('span', { class: 'muted' }, ` (${kids.length} children)`) : '',
        t.wait ? h('span', { class: 'muted' }, ` waits on ${waitText(t.wait)}`) : '',
        kids.length && open ? h('ul', {}, kids.map(node)) : '',
      );
    };
    this.root.replaceChildren(h('ul', {}, roots.map(node)));
  },
};
