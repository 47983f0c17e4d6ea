// Rules and Alerts pages, from /api/v1/rules and /api/v1/alerts: rule groups with their last evaluation time,
// duration and health, each rule's query, labels and last error; alerts grouped by state (firing, pending) with
// their labels, annotations, value and active-since. Both refresh every 10 s while shown.

import { api } from './api.js';
import { formatDuration } from './format.js';

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

function labels(obj) {
  return Object.entries(obj || {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `<span class="label">${esc(k)}="${esc(v)}"</span>`).join(' ');
}

function when(t) {
  if (!t || t.startsWith('0001-')) return 'never';
  const ago = (Date.now() - Date.parse(t)) / 1000;
  return `${esc(t)} (${ago < 1 ? 'just now' : `${formatDuration(Math.round(ago))} ago`})`;
}

function seconds(s) {
  return s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`;
}

function health(h, err) {
  return `<span class="health health-${esc(h)}" title="${esc(err || '')}">${esc(h)}</span>`;
}

function queryLink(q) {
  return `<a href="?query=${encodeURIComponent(q)}&range=1h" class="rule-query">${esc(q)}</a>`;
}

function ruleRow(r) {
  const kind = r.type === 'alerting'
    ? `alert: <b>${esc(r.name)}</b>${r.duration ? ` for ${formatDuration(r.duration)}` : ''}${r.keepFiringFor ? `, keep firing for ${formatDuration(r.keepFiringFor)}` : ''}`
      + ` <span class="state state-${esc(r.state)}">${esc(r.state)}${r.alerts && r.alerts.length ? ` (${r.alerts.length})` : ''}</span>`
    : `record: <b>${esc(r.name)}</b>`;
  return `<tr class="rule"><td>${kind}<br>${queryLink(r.query)}`
    + `${Object.keys(r.labels || {}).length ? `<br>${labels(r.labels)}` : ''}`
    + `${r.lastError ? `<div class="error">${esc(r.lastError)}</div>` : ''}</td>`
    + `<td>${health(r.health, r.lastError)}</td><td class="num">${seconds(r.evaluationTime)}</td><td>${when(r.lastEvaluation)}</td></tr>`;
}

function groupCard(g) {
  const bad = g.rules.filter((r) => r.health === 'err').length;
  return `<section class="card wide rule-group" data-group="${esc(g.name)}">
    <h2>${esc(g.name)} <span class="muted">${esc(g.file)} · every ${formatDuration(g.interval)}${g.limit ? ` · limit ${g.limit}` : ''}</span></h2>
    <div class="muted">last evaluation ${when(g.lastEvaluation)}, took ${seconds(g.evaluationTime)}; ${g.rules.length} rules,
      ${bad ? `<span class="health health-err">${bad} unhealthy</span>` : 'all healthy'}</div>
    <table class="top rules"><thead><tr><th>rule</th><th>health</th><th>duration</th><th>last evaluation</th></tr></thead>
    <tbody>${g.rules.map(ruleRow).join('')}</tbody></table></section>`;
}

let timer = null;

function poll(root, render) {
  clearInterval(timer);
  render();
  timer = setInterval(() => { if (root.hidden) clearInterval(timer); else render(); }, 10000);
}

export function renderRules(root) {
  poll(root, () => api.rules().then((d) => {
    root.innerHTML = d.groups.length
      ? `<div class="status-grid">${d.groups.map(groupCard).join('')}</div>`
      : '<p class="muted">No rule groups. Start the server with <code>--rules.file</code> (see docs/rules.md).</p>';
  }).catch((e) => { root.innerHTML = `<p class="error">${esc(e.message)}</p>`; }));
}

function alertRow(a) {
  return `<tr class="alert"><td>${labels(a.labels)}${Object.entries(a.annotations || {}).map(([k, v]) =>
    `<div class="annotation"><span class="muted">${esc(k)}:</span> ${esc(v)}</div>`).join('')}</td>`
    + `<td class="num">${esc(a.value)}</td><td>${when(a.activeAt)}</td></tr>`;
}

export function renderAlerts(root) {
  poll(root, () => api.alerts().then((d) => {
    const by = { firing: [], pending: [] };
    for (const a of d.alerts) (by[a.state] || (by[a.state] = [])).push(a);
    const section = (state) => `<section class="card wide alerts-${esc(state)}"><h2><span class="state state-${esc(state)}">${esc(state)}</span>
      <span class="muted">${by[state].length}</span></h2>${by[state].length
      ? `<table class="top"><thead><tr><th>labels and annotations</th><th>value</th><th>active since</th></tr></thead>
         <tbody>${by[state].map(alertRow).join('')}</tbody></table>`
      : '<span class="muted">None.</span>'}</section>`;
    root.innerHTML = `<div class="status-grid">${Object.keys(by).map(section).join('')}</div>`;
  }).catch((e) => { root.innerHTML = `<p class="error">${esc(e.message)}</p>`; }));
}
