// Resources (mutexes, semaphores, channels, ...) with their holders and
// waiters; and the warnings list.
import { findTask, model } from './model.js';
import { dur, guessed, h, holderRole, loc, locFull, taskLink, viaText } from './util.js';

function who(id) {
  return taskLink(id, `${findTask(id)?.name ?? 'task'} #${id}`);
}

function detailText(r) {
  const parts = [];
  for (const k of ['capacity', 'length', 'senders', 'permits', 'readers'])
    if (r[k] !== undefined && r[k] >= 0) parts.push(`${k} ${r[k]}`);
  if (r.closed === 1) parts.push('closed');
  return parts.join(' · ');
}

export const resourcesView = {
  mount(root, params) {
    this.focus = params[0] ? Number(params[0]) : 0;
    this.body = h('tbody', { id: 'resource-rows' });
    this.count = h('span', { class: 'muted' });
    root.append(
      h('div', { class: 'toolbar' }, this.count),
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'grid', id: 'resource-table' },
          h('thead', {}, h('tr', {}, ['ID', 'Kind', 'Created at', 'Holders', 'Waiters', 'State'].map((x) => h('th', {}, x)))),
          this.body,
        ),
      ),
    );
    this.render();
    this.body.querySelector('tr.focus')?.scrollIntoView({ block: 'center' });
  },
  update() {
    this.render();
  },
  render() {
    const list = [...model.resources.values()].sort((a, b) => a.id - b.id);
    this.count.textContent = `${list.length} resources`;
    this.body.replaceChildren(
      ...list.map((r) =>
        h(
          'tr',
          { class: r.id === this.focus ? 'focus' : '', dataset: { resource: r.id } },
          h('td', { class: 'num' }, `#${r.id}`),
          h('td', {}, r.kind),
          h('td', {}, h('code', { title: locFull(r.created_at) }, loc(r.created_at))),
          h(
            'td',
            {},
            (r.holders ?? []).map((x) =>
              x.in_frame || guessed(x)
                ? h(
                    'div',
                    {},
                    `${holderRole(r.kind, r.length)} in `,
                    who(x.task),
                    viaText(x, true),
                    ' ',
                    h('code', { class: 'muted' }, loc(x.acquired_at)),
                  )
                : h('div', {}, who(x.task), ` for ${dur(x.held_s)} `, h('code', { class: 'muted' }, loc(x.acquired_at))),
            ),
          ),
          h(
            'td',
            {},
            (r.waiters ?? []).map((x) => h('div', {}, who(x.task), ` for ${dur(x.waiting_s)} `, h('code', { class: 'muted' }, loc(x.at)))),
          ),
          h('td', {}, detailText(r)),
        ),
      ),
    );
  },
};

export const warningsView = {
  mount(root) {
    this.body = h('tbody', { id: 'warning-rows' });
    root.append(
      h('p', { class: 'muted' }, 'What the detectors saw: deadlocks, stalls, all-asleep, lints. Newest first.'),
      h(
        'div',
        { class: 'scroll' },
        h('table', { class: 'grid', id: 'warning-table' }, h('thead', {}, h('tr', {}, ['t', 'Kind', 'Task', 'Message'].map((x) => h('th', {}, x)))), this.body),
      ),
    );
    this.render();
  },
  update() {
    this.render();
  },
  render() {
    const list = model.warnings.slice().reverse();
    if (list.length === 0) {
      this.body.replaceChildren(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'no warnings')));
      return;
    }
    this.body.replaceChildren(
      ...list.map((w) =>
        h(
          'tr',
          { class: `warning kind-${w.kind.replace(/\s+/g, '-')}` },
          h('td', { class: 'num' }, `${w.t.toFixed(1)} s`),
          h('td', {}, h('span', { class: `badge warn-${w.kind.replace(/\s+/g, '-')}` }, w.kind)),
          h('td', {}, w.task ? who(w.task) : 'program'),
          h('td', {}, h('pre', { class: 'message' }, w.message)),
        ),
      ),
    );
  },
};
