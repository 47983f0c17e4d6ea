// Table view: an instant query's result as a sortable table.

import { formatValue, seriesName } from './format.js';
import { bucketChart } from './histogram.js';

export function drawTable(container, data) {
  container.innerHTML = '';
  const table = document.createElement('table');
  table.className = 'result-table';
  let rows;
  if (data.resultType === 'vector') {
    rows = data.result.map((s) => (s.histogram
      // a native histogram: its count sorts the row, its buckets are drawn as bars
      ? { series: seriesName(s.metric), value: `count ${s.histogram[1].count}`, num: Number(s.histogram[1].count), histogram: s.histogram[1] }
      : { series: seriesName(s.metric), value: s.value[1], num: Number(s.value[1]) }));
  } else if (data.resultType === 'matrix') {
    rows = data.result.map((s) => ({
      series: seriesName(s.metric),
      value: [...(s.values || []).map(([t, v]) => `${v} @${t}`),
        ...(s.histograms || []).map(([t, h]) => `histogram count ${h.count} sum ${h.sum} @${t}`)].join('\n'),
      num: s.values && s.values.length ? Number(s.values[s.values.length - 1][1]) : NaN,
    }));
  } else {
    rows = [{ series: data.resultType, value: data.result[1], num: Number(data.result[1]) }];
  }
  if (rows.length === 0) {
    container.innerHTML = '<div class="empty">Empty result: no series matched at this time.</div>';
    return;
  }
  table.innerHTML = `<thead><tr><th data-key="series" class="sortable">Series</th>
    <th data-key="num" class="sortable num">Value</th></tr></thead><tbody></tbody>`;
  const tbody = table.querySelector('tbody');
  let sortKey = null;
  let asc = true;
  const fill = () => {
    tbody.innerHTML = '';
    for (const r of rows) {
      const tr = document.createElement('tr');
      const a = document.createElement('td');
      a.className = 'series';
      a.textContent = r.series;
      const b = document.createElement('td');
      b.className = 'value num';
      if (r.histogram) {
        b.classList.add('histogram');
        b.appendChild(bucketChart(r.histogram, { dark: document.documentElement.dataset.theme === 'dark' }));
      } else {
        b.textContent = r.value;
        b.title = formatValue(r.value);
      }
      tr.append(a, b);
      tbody.appendChild(tr);
    }
  };
  table.querySelectorAll('th.sortable').forEach((th) => th.addEventListener('click', () => {
    const key = th.dataset.key;
    asc = sortKey === key ? !asc : true;
    sortKey = key;
    rows.sort((x, y) => {
      const c = key === 'num' ? (x.num - y.num || 0) : x.series.localeCompare(y.series);
      return asc ? c : -c;
    });
    table.querySelectorAll('th').forEach((h) => h.classList.remove('asc', 'desc'));
    th.classList.add(asc ? 'asc' : 'desc');
    fill();
  }));
  fill();
  container.appendChild(table);
}
