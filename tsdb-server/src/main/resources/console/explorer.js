// Metrics explorer: search metric names with their series counts; for one metric, its labels with the
// number of values and the top values by series (all from the label index bitmaps); one click queries.

import { api } from './api.js';

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

function quote(v) {
  return `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderExplorer(root, selected, { onSelect, onQuery }) {
  root.innerHTML = `
    <div class="explorer">
      <div class="explorer-list">
        <input type="search" class="metric-search" placeholder="Search metrics…" autofocus>
        <div class="metric-count muted"></div>
        <table class="metrics-table"><thead><tr><th>Metric</th><th class="num">Series</th></tr></thead><tbody></tbody></table>
      </div>
      <div class="explorer-detail"><div class="muted">Select a metric to see its labels.</div></div>
    </div>`;
  const search = root.querySelector('.metric-search');
  const tbody = root.querySelector('.metrics-table tbody');
  const detail = root.querySelector('.explorer-detail');
  let timer = null;

  async function list() {
    try {
      const data = await api.explorerMetrics(search.value.trim());
      root.querySelector('.metric-count').textContent = `${data.matched} of ${data.totalMetrics} metrics`;
      tbody.innerHTML = data.metrics.map((m) =>
        `<tr class="metric-row" data-name="${esc(m.name)}"><td><a href="#">${esc(m.name)}</a></td><td class="num">${m.series}</td></tr>`).join('');
      tbody.querySelectorAll('.metric-row').forEach((tr) => tr.addEventListener('click', (e) => {
        e.preventDefault();
        show(tr.dataset.name);
      }));
    } catch (e) {
      tbody.innerHTML = `<tr><td colspan="2" class="error">${esc(e.message)}</td></tr>`;
    }
  }

  async function show(name) {
    onSelect(name);
    detail.innerHTML = '<div class="muted">Loading…</div>';
    try {
      const d = await api.explorerMetric(name);
      detail.innerHTML = `
        <h2 class="metric-title">${esc(d.name)}</h2>
        <div class="muted">${d.series} series · ${d.labels.length} labels
          <button type="button" class="primary query-metric">Query</button></div>
        <table class="labels-table">
          <thead><tr><th>Label</th><th class="num">Values</th><th class="num">Series with label</th><th>Top values (series)</th></tr></thead>
          <tbody>${d.labels.map((l) => `
            <tr class="label-row" data-label="${esc(l.name)}">
              <td class="label-name">${esc(l.name)}</td><td class="num">${l.values}</td><td class="num">${l.seriesWithLabel}</td>
              <td>${l.top.map((v) => `<button type="button" class="chip" data-label="${esc(l.name)}" data-value="${esc(v.value)}">${esc(v.value)} <span class="muted">${v.series}</span></button>`).join(' ')}</td>
            </tr>`).join('')}</tbody>
        </table>`;
      detail.querySelector('.query-metric').addEventListener('click', () => onQuery(d.name));
      detail.querySelectorAll('.chip').forEach((c) => c.addEventListener('click', () =>
        onQuery(`${d.name}{${c.dataset.label}=${quote(c.dataset.value)}}`)));
    } catch (e) {
      detail.innerHTML = `<div class="error">${esc(e.message)}</div>`;
    }
  }

  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(list, 150); });
  list();
  if (selected) show(selected);
}
