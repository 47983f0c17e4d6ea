// Status page: build, flags, storage, ingest and query rates (from the server's own /metrics, sampled
// twice), the cardinality report (top metrics and label pairs from the index), recent slow queries.

import { api, selfMetrics } from './api.js';

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function kv(obj) {
  return `<table class="kv">${Object.entries(obj || {}).filter(([, v]) => v !== undefined).map(([k, v]) =>
    `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`).join('')}</table>`;
}

function top(list, title) {
  if (!list || !list.length) return '';
  return `<h3>${esc(title)}</h3><table class="top"><tbody>${list.map((e) =>
    `<tr><td>${esc(e.name)}</td><td class="num">${e.value}</td></tr>`).join('')}</tbody></table>`;
}

// Sum of all series of counters whose name matches re.
function sumMatching(m, re) {
  let s = 0;
  for (const [name, v] of m.sums) if (re.test(name)) s += v;
  return s;
}

// Sum of the series (name{labels} keys) matching re.
function sumSeries(m, re) {
  let s = 0;
  for (const [key, v] of m.series) if (re.test(key)) s += v;
  return s;
}

let pollTimer = null;

export async function renderStatus(root) {
  root.innerHTML = `
    <div class="status-grid">
      <section class="card" id="status-build"><h2>Build</h2><div class="body muted">Loading…</div></section>
      <section class="card" id="status-storage"><h2>Storage</h2><div class="body muted">Loading…</div></section>
      <section class="card" id="status-rates"><h2>Ingest and queries</h2><div class="body muted">Sampling…</div></section>
      <section class="card" id="status-series"><h2>Series</h2><div class="body muted">Loading…</div></section>
      <section class="card wide" id="status-cardinality"><h2>Cardinality</h2><div class="body muted">Loading…</div></section>
      <section class="card wide" id="status-slow"><h2>Recent slow queries</h2><div class="body muted">Loading…</div></section>
      <section class="card wide" id="status-flags"><h2>Flags</h2><div class="body muted">Loading…</div></section>
    </div>`;
  const body = (id) => root.querySelector(`#${id} .body`);
  const fail = (id) => (e) => { body(id).innerHTML = `<span class="error">${esc(e.message)}</span>`; };

  api.buildinfo().then((b) => { body('status-build').innerHTML = kv(b); }).catch(fail('status-build'));
  api.flags().then((f) => { body('status-flags').innerHTML = kv(f); }).catch(fail('status-flags'));
  Promise.all([api.storage().catch(() => ({})), api.runtimeinfo().catch(() => ({}))]).then(([s, r]) => {
    const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
    body('status-storage').innerHTML = kv({
      'active series': s.activeSeries, 'head samples': s.headSamples,
      'head time range': s.headMinTime ? `${s.headMinTime} … ${s.headMaxTime}` : 'empty',
      blocks: s.blocks, 'block samples': s.blockSamples, 'disk (blocks)': mib(s.diskBytes || 0),
      WAL: mib(s.walBytes || 0), retention: r.storageRetention,
      'started': r.startTime,
    });
  }).catch(fail('status-storage'));
  api.tsdb().then((t) => {
    const ss = t.seriesStats;
    if (ss) {
      body('status-series').innerHTML = kv({
        'in the head (active)': ss.headSeries,
        'in blocks': ss.blockSeries < 0 ? 'unknown (blocks of index version 1)' : ss.blockSeries,
        'in the registry': ss.registrySeries,
        'created since start': ss.createdTotal,
        'came back since start': ss.revivedTotal,
        'left the head since start': ss.removedTotal,
      });
    } else {
      body('status-series').innerHTML = '<span class="muted">Not available for this storage.</span>';
    }
    body('status-cardinality').innerHTML =
      top(t.seriesCountByMetricName, 'Top metrics by series')
      + top(t.seriesCountByLabelValuePair, 'Top label pairs by series')
      + top(t.labelValueCountByLabelName, 'Labels with most values') || '<span class="muted">No series yet.</span>';
  }).catch(fail('status-cardinality'));
  fetch('/console/api/slow_queries').then((r) => r.json()).then((j) => {
    const rows = (j.data || []).map((q) =>
      `<tr><td class="num">${q.durationMs} ms</td><td>${esc(q.kind)}${q.failed ? ' (failed)' : ''}</td><td class="slow-query">${esc(q.query)}</td><td>${esc(q.time || '')}</td></tr>`).join('');
    body('status-slow').innerHTML = rows ? `<table class="top"><tbody>${rows}</tbody></table>` : '<span class="muted">None recorded.</span>';
  }).catch(() => { body('status-slow').innerHTML = '<span class="muted">Not available.</span>'; });

  clearInterval(pollTimer);
  let prev = await selfMetrics().catch(() => null);
  const sample = async () => {
    if (root.hidden) { clearInterval(pollTimer); return; }
    const cur = await selfMetrics().catch(() => null);
    if (!cur || !prev) return;
    const dt = (cur.at - prev.at) / 1000;
    const rate = (re) => Math.max(0, (sumMatching(cur, re) - sumMatching(prev, re)) / dt);
    const ingest = /samples.*(ingested|accepted).*_total$|ingest.*samples.*_total$/;
    const rejected = /samples.*rejected.*_total$/;
    const queryRe = /^tsdb_http_requests_total\{.*route="\/api\/v1\/query(_range)?"/;
    body('status-rates').innerHTML = kv({
      'samples ingested/s': rate(ingest).toFixed(1),
      'samples rejected/s': rate(rejected).toFixed(1),
      'samples ingested (total)': sumMatching(cur, ingest),
      'queries/s': Math.max(0, (sumSeries(cur, queryRe) - sumSeries(prev, queryRe)) / dt).toFixed(2),
      'HTTP requests/s': rate(/^http_.*requests.*_total$|^tsdb_http_requests_total$/).toFixed(2),
      'active series': sumMatching(cur, /^tsdb_head_series$/),
      'series created/min': (60 * (rate(/^tsdb_storage_series_created_total$/) + rate(/^tsdb_storage_series_revived_total$/))).toFixed(1),
      'series removed/min': (60 * rate(/^tsdb_storage_series_removed_total$/)).toFixed(1),
    });
    prev = cur;
  };
  setTimeout(sample, 1000);
  pollTimer = setInterval(sample, 5000);
}
