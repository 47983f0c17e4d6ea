// Console entry point: page navigation, query panels, and the page state kept in the URL so any view can
// be shared: /?query=<expr>&range=1h&end=<time>&step=<dur>&view=graph|table[&stacked=1], with the
// parameter group repeated once per panel; /?page=explorer[&metric=<name>]; /?page=alerts; /?page=rules; /?page=status.

import { renderExplorer } from './explorer.js';
import { Panel } from './panel.js';
import { renderAlerts, renderRules } from './rules.js';
import { renderStatus } from './status.js';

const panels = [];
let page = 'query';

function stateFromUrl() {
  const p = new URLSearchParams(location.search);
  page = p.get('page') || 'query';
  const queries = p.getAll('query');
  const per = (k) => p.getAll(k);
  const states = queries.map((q, i) => ({
    query: q,
    range: per('range')[i] || per('range')[0] || '1h',
    end: per('end')[i] || '',
    step: per('step')[i] || '',
    view: per('view')[i] || per('view')[0] || 'graph',
    stacked: (per('stacked')[i] || '0') === '1',
  }));
  return { states: states.length ? states : [{ query: '', range: '1h' }], metric: p.get('metric') };
}

function writeUrl() {
  const p = new URLSearchParams();
  if (page !== 'query') p.set('page', page);
  if (page === 'query') {
    for (const panel of panels) {
      const s = panel.state;
      p.append('query', s.query);
      p.append('range', s.range);
      p.append('end', s.end);
      p.append('step', s.step);
      p.append('view', s.view);
      p.append('stacked', s.stacked ? '1' : '0');
    }
  } else if (page === 'explorer' && explorerMetric) {
    p.set('metric', explorerMetric);
  }
  const url = `${location.pathname}?${p.toString()}`;
  if (url !== location.pathname + location.search) history.replaceState(null, '', url);
}

let explorerMetric = null;

function addPanel(state) {
  const container = document.getElementById('panels');
  const panel = new Panel(container, state, {
    index: panels.length,
    onChange: writeUrl,
    onRemove: (p) => {
      if (panels.length === 1) { p.editor.value = ''; p.run(); return; }
      panels.splice(panels.indexOf(p), 1);
      p.root.remove();
      writeUrl();
    },
  });
  panels.push(panel);
  return panel;
}

function showPage(name) {
  page = name;
  for (const id of ['query', 'explorer', 'alerts', 'rules', 'status']) {
    document.getElementById(`page-${id}`).hidden = id !== name;
    document.getElementById(`nav-${id}`).classList.toggle('active', id === name);
  }
  if (name === 'explorer') {
    renderExplorer(document.getElementById('page-explorer'), explorerMetric, {
      onSelect: (m) => { explorerMetric = m; writeUrl(); },
      onQuery: (q) => { showPage('query'); const p = panels[0]; p.editor.value = q; p.run(); },
    });
  } else if (name === 'alerts') {
    renderAlerts(document.getElementById('page-alerts'));
  } else if (name === 'rules') {
    renderRules(document.getElementById('page-rules'));
  } else if (name === 'status') {
    renderStatus(document.getElementById('page-status'));
  }
  writeUrl();
}

function initTheme() {
  const saved = localStorage.getItem('tsdb.theme');
  const dark = saved ? saved === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  document.getElementById('theme-toggle').addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    localStorage.setItem('tsdb.theme', next);
    for (const p of panels) if (p.state.query) p.run();
  });
}

function init() {
  initTheme();
  const { states, metric } = stateFromUrl();
  explorerMetric = metric;
  for (const s of states) addPanel(s);
  document.getElementById('add-panel').addEventListener('click', () => { addPanel({}).editor.focus(); writeUrl(); });
  document.querySelectorAll('nav a').forEach((a) => a.addEventListener('click', (e) => {
    e.preventDefault();
    showPage(a.dataset.page);
  }));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      const focused = panels.find((p) => p.root.contains(document.activeElement));
      (focused ? [focused] : panels).forEach((p) => p.run());
    }
  });
  showPage(page);
  if (page === 'query') {
    for (const p of panels) if (p.state.query) p.run();
    panels[0].editor.focus();
  }
  document.body.dataset.ready = 'true';
}

init();
