// Graph view: a uPlot time-series chart with legend (hover values, click to toggle a series) and an
// optional stacked mode.

import uPlot from '/webjars/uplot/dist/uPlot.esm.js';
import { seriesName } from './format.js';
import { drawHeatmaps } from './histogram.js';

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
  '#bcbd22', '#17becf', '#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6'];
export const MAX_SERIES = 500;

// Turns a matrix result into uPlot's columnar data on the query's step grid.
export function toColumns(matrix, start, end, step, stacked) {
  const xs = [];
  for (let t = start; t <= end + 1e-9; t += step) xs.push(Math.round(t * 1000) / 1000);
  const index = new Map(xs.map((x, i) => [x, i]));
  const shown = matrix.slice(0, MAX_SERIES);
  const ys = shown.map((s) => {
    const col = new Array(xs.length).fill(null);
    for (const [t, v] of s.values || []) { // a series of native histograms only has no "values"
      const i = index.get(Math.round(t * 1000) / 1000);
      if (i !== undefined) col[i] = Number(v);
    }
    return col;
  });
  if (stacked) {
    for (let k = 1; k < ys.length; k++) {
      for (let i = 0; i < xs.length; i++) {
        if (ys[k][i] === null) continue;
        ys[k][i] += ys[k - 1][i] ?? 0;
      }
    }
  }
  return { xs, ys, names: shown.map((s) => seriesName(s.metric)) };
}

export function drawChart(container, matrix, { start, end, step, stacked, dark }) {
  container.innerHTML = '';
  // series of native histograms are drawn as heatmaps (below the float series' chart, if there are any)
  const floats = matrix.filter((s) => s.values && s.values.length);
  if (floats.length < matrix.length) {
    const heat = document.createElement('div');
    heat.className = 'heatmaps';
    const plot = floats.length ? drawChart(container, floats, { start, end, step, stacked, dark }) : null;
    container.appendChild(heat);
    drawHeatmaps(heat, matrix, { start, end, step, dark });
    return plot;
  }
  const { xs, ys, names } = toColumns(matrix, start, end, step, stacked);
  if (matrix.length > MAX_SERIES) {
    const warn = document.createElement('div');
    warn.className = 'warning';
    warn.textContent = `Showing ${MAX_SERIES} of ${matrix.length} series; narrow the query to see the rest.`;
    container.appendChild(warn);
  }
  const axisColor = dark ? '#c9d1d9' : '#333';
  const gridColor = dark ? '#30363d' : '#e5e5e5';
  const opts = {
    width: Math.max(300, container.clientWidth || 800),
    height: 320,
    cursor: { focus: { prox: 16 } },
    legend: { live: true },
    scales: { x: { time: true } },
    axes: [
      { stroke: axisColor, grid: { stroke: gridColor } },
      { stroke: axisColor, grid: { stroke: gridColor }, size: 70 },
    ],
    series: [
      { label: 'time' },
      ...names.map((n, i) => ({
        label: n,
        stroke: PALETTE[i % PALETTE.length],
        width: 1.5,
        fill: stacked ? `${PALETTE[i % PALETTE.length]}33` : undefined,
        spanGaps: false,
        points: { show: false },
      })),
    ],
  };
  const plot = new uPlot(opts, [xs, ...ys], container);
  const resize = () => plot.setSize({ width: Math.max(300, container.clientWidth), height: 320 });
  window.addEventListener('resize', resize);
  return plot;
}
