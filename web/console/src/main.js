// The lucid web console: one page served by the console server at `/`,
// speaking only docs/console-protocol.md. Views are picked by the URL hash:
//   #/tasks  #/tree  #/task/ID  #/resources[/ID]  #/graph  #/timeline  #/warnings
import './style.css';
import { AuthError, EventStream, getJSON, setToken, token } from './api.js';
import { detailView } from './detail.js';
import { graphView } from './graph.js';
import { applyDelta, applySnapshot, applyWarning, model, subscribe } from './model.js';
import { resourcesView, warningsView } from './resources.js';
import { tableView, treeView } from './tasks.js';
import { timelineView } from './timeline.js';

const VIEWS = {
  tasks: tableView,
  tree: treeView,
  task: detailView,
  resources: resourcesView,
  graph: graphView,
  timeline: timelineView,
  warnings: warningsView,
};

let current = null;

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const name = VIEWS[parts[0]] ? parts[0] : 'tasks';
  const root = document.getElementById('view');
  current?.view.unmount?.();
  root.replaceChildren();
  root.dataset.view = name;
  for (const a of document.querySelectorAll('#tabs a'))
    a.classList.toggle('active', a.dataset.view === name || (name === 'task' && a.dataset.view === 'tasks'));
  current = { name, view: VIEWS[name] };
  current.view.mount(root, parts.slice(1));
}

function header() {
  const p = model.process;
  document.getElementById('program').textContent = p
    ? `${p.program} · pid ${p.pid} · ${model.tasks.size} tasks (${model.runtime?.running ?? 0} running, ${model.runtime?.scheduled ?? 0} scheduled)`
    : '';
  const n = model.warnings.length;
  const c = document.getElementById('warning-count');
  c.textContent = n ? String(n) : '';
  c.classList.toggle('alert', model.warnings.some((w) => w.kind === 'deadlock' || w.kind === 'stall'));
}

function status(text, ok) {
  const el = document.getElementById('status');
  el.textContent = ok ? `live · seq ${model.seq} · t ${model.t.toFixed(1)} s` : text;
  el.classList.toggle('bad', !ok);
}

const stream = new EventStream({
  onEvent(type, data) {
    if (type === 'snapshot') applySnapshot(data);
    else if (type === 'delta') return applyDelta(data);
    else if (type === 'warning') applyWarning(data);
    return true;
  },
  onStatus: status,
  onAuth: askToken,
});

function askToken(message) {
  const dialog = document.getElementById('token-dialog');
  document.getElementById('token-error').textContent = token() ? (message ?? 'That token was refused.') : '';
  dialog.hidden = false;
  status('waiting for the token', false);
  document.getElementById('token-input').focus();
}

async function connect() {
  // One plain request first: a 401 here asks for the token before the stream starts.
  try {
    await getJSON('/api/v1/snapshot');
  } catch (e) {
    if (e instanceof AuthError) {
      askToken();
      return;
    }
  }
  document.getElementById('token-dialog').hidden = true;
  stream.start();
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(document.getElementById('token-input').value.trim());
    connect();
  });
  subscribe((kind) => {
    header();
    if (stream && !document.getElementById('status').classList.contains('bad')) status('', true);
    current?.view.update?.(kind);
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('pagehide', () => stream.stop());
  route();
  connect();
});
