// Native histograms in the console: a heatmap over time (graph view) and a bucket bar chart at one instant
// (table view). Both read the API's shape: {count, sum, buckets: [[rule, "lower", "upper", "count"], ...]}.

import { seriesName } from './format.js';

export const MAX_HEATMAPS = 10;

// Bucket label as an interval with the API's boundary rule: 0 (a,b], 1 [a,b), 2 (a,b), 3 [a,b].
export function bucketLabel([rule, lo, hi]) {
  const left = rule === 1 || rule === 3 ? '[' : '(';
  const right = rule === 0 || rule === 3 ? ']' : ')';
  return `${left}${fmt(lo)}, ${fmt(hi)}${right}`;
}

function fmt(s) {
  const n = Number(s);
  if (!Number.isFinite(n)) return s;
  if (n !== 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e6)) return n.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(n.toPrecision(4)));
}

// The rows of a heatmap: every bucket seen in any point of the series, ordered by lower then upper bound.
export function heatmapRows(points) {
  const rows = new Map();
  for (const [, h] of points) {
    for (const b of h.buckets || []) {
      const key = `${b[0]}|${b[1]}|${b[2]}`;
      if (!rows.has(key)) rows.set(key, { key, bucket: b, lo: Number(b[1]), hi: Number(b[2]) });
    }
  }
  return [...rows.values()].sort((a, b) => a.lo - b.lo || a.hi - b.hi);
}

// Colour of a cell: light to dark blue (or a dark-theme ramp) by count relative to the maximum.
function colour(frac, dark) {
  if (!(frac > 0)) return dark ? '#161b22' : '#f6f8fa';
  const f = Math.min(1, Math.sqrt(frac));
  const from = dark ? [22, 50, 90] : [222, 235, 247];
  const to = dark ? [120, 200, 255] : [8, 48, 107];
  const c = from.map((x, i) => Math.round(x + (to[i] - x) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// One heatmap per histogram series of a matrix (at most MAX_HEATMAPS): x = the query's step grid, y = buckets.
export function drawHeatmaps(container, matrix, { start, end, step, dark }) {
  const series = matrix.filter((s) => s.histograms && s.histograms.length);
  const width = container.clientWidth || 900;
  for (const s of series.slice(0, MAX_HEATMAPS)) container.appendChild(heatmap(s, { start, end, step, dark, width }));
  if (series.length > MAX_HEATMAPS) {
    const warn = document.createElement('div');
    warn.className = 'warning';
    warn.textContent = `Showing heatmaps of ${MAX_HEATMAPS} of ${series.length} histogram series; narrow the query to see the rest.`;
    container.appendChild(warn);
  }
  return series.length;
}

function heatmap(s, { start, end, step, dark, width: boxWidth }) {
  const box = document.createElement('div');
  box.className = 'heatmap';
  const title = document.createElement('div');
  title.className = 'heatmap-title';
  title.textContent = seriesName(s.metric);
  box.appendChild(title);
  const rows = heatmapRows(s.histograms);
  const cols = Math.max(1, Math.round((end - start) / step) + 1);
  const byRow = new Map(rows.map((r, i) => [r.key, i]));
  const cells = rows.map(() => new Array(cols).fill(0));
  let max = 0;
  for (const [t, h] of s.histograms) {
    const c = Math.round((t - start) / step);
    if (c < 0 || c >= cols) continue;
    for (const b of h.buckets || []) {
      const v = Number(b[3]);
      cells[byRow.get(`${b[0]}|${b[1]}|${b[2]}`)][c] = v;
      if (v > max) max = v;
    }
  }
  const labelWidth = 130, width = Math.max(300, boxWidth), rowH = Math.max(8, Math.min(24, Math.floor(260 / Math.max(1, rows.length))));
  const canvas = document.createElement('canvas');
  const plotW = width - labelWidth;
  canvas.width = width;
  canvas.height = rows.length * rowH + 20;
  canvas.className = 'heatmap-canvas';
  canvas.dataset.rows = String(rows.length);
  canvas.dataset.columns = String(cols);
  canvas.dataset.max = String(max);
  const g = canvas.getContext('2d');
  g.font = '11px sans-serif';
  g.fillStyle = dark ? '#c9d1d9' : '#333';
  const cw = plotW / cols;
  // highest bucket on top
  rows.forEach((r, i) => {
    const y = (rows.length - 1 - i) * rowH;
    g.fillStyle = dark ? '#c9d1d9' : '#333';
    g.fillText(bucketLabel(r.bucket), 2, y + rowH - 3, labelWidth - 6);
    for (let c = 0; c < cols; c++) {
      g.fillStyle = colour(max > 0 ? cells[i][c] / max : 0, dark);
      g.fillRect(labelWidth + c * cw, y, Math.ceil(cw), rowH - 1);
    }
  });
  g.fillStyle = dark ? '#c9d1d9' : '#333';
  const ticks = Math.min(6, cols);
  for (let k = 0; k < ticks; k++) {
    const c = Math.round(k * (cols - 1) / Math.max(1, ticks - 1));
    const d = new Date((start + c * step) * 1000);
    const text = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    g.fillText(text, Math.min(labelWidth + c * cw, width - g.measureText(text).width - 2), rows.length * rowH + 14);
  }
  canvas.addEventListener('mousemove', (e) => {
    const rect = canvas.getBoundingClientRect();
    const x = (e.clientX - rect.left) * (canvas.width / rect.width) - labelWidth;
    const y = (e.clientY - rect.top) * (canvas.height / rect.height);
    const c = Math.floor(x / cw), i = rows.length - 1 - Math.floor(y / rowH);
    if (c < 0 || c >= cols || i < 0 || i >= rows.length) { canvas.title = ''; return; }
    const t = new Date((start + c * step) * 1000).toISOString();
    canvas.title = `${bucketLabel(rows[i].bucket)} at ${t}: ${cells[i][c]}`;
  });
  box.appendChild(canvas);
  return box;
}

// A bar per populated bucket of one histogram (equal widths: exponential buckets would be slivers on a linear axis).
export function bucketChart(h, { dark } = {}) {
  const box = document.createElement('div');
  box.className = 'bucket-chart';
  const head = document.createElement('div');
  head.className = 'bucket-summary';
  head.textContent = `count ${h.count} · sum ${h.sum}`;
  box.appendChild(head);
  const buckets = h.buckets || [];
  const max = Math.max(0, ...buckets.map((b) => Number(b[3])));
  const bars = document.createElement('div');
  bars.className = 'bucket-bars';
  for (const b of buckets) {
    const bar = document.createElement('div');
    bar.className = 'bucket-bar';
    const fill = document.createElement('div');
    fill.className = 'bucket-fill';
    fill.style.height = `${max > 0 ? Math.max(1, Math.round(100 * Number(b[3]) / max)) : 0}%`;
    fill.style.background = dark ? '#58a6ff' : '#1f77b4';
    bar.title = `${bucketLabel(b)}: ${b[3]}`;
    bar.dataset.bucket = bucketLabel(b);
    bar.dataset.count = b[3];
    const label = document.createElement('div');
    label.className = 'bucket-label';
    label.textContent = bucketLabel(b);
    bar.append(fill, label);
    bars.appendChild(bar);
  }
  box.appendChild(bars);
  return box;
}
