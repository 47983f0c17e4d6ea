// Thin wrappers over the server's Prometheus-compatible HTTP API. Every request goes to this page's own
// origin (relative URLs only): the console never talks to any other host.

export class ApiError extends Error {
  constructor(message, errorType, status) {
    super(message);
    this.errorType = errorType;
    this.status = status;
  }
}

async function call(path, params, { method = 'GET', signal } = {}) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => body.append(k, x)); else body.append(k, String(v));
  }
  let resp;
  if (method === 'POST') {
    resp = await fetch(path, { method, body, signal, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  } else {
    const qs = body.toString();
    resp = await fetch(qs ? `${path}?${qs}` : path, { signal });
  }
  let json;
  try {
    json = await resp.json();
  } catch (e) {
    throw new ApiError(`HTTP ${resp.status} from ${path}: response is not JSON`, 'internal', resp.status);
  }
  if (json.status !== 'success') {
    throw new ApiError(json.error || `HTTP ${resp.status}`, json.errorType || 'error', resp.status);
  }
  return json;
}

export const api = {
  instant: (query, time, signal) => call('/api/v1/query', { query, time, stats: 'all' }, { method: 'POST', signal }),
  range: (query, start, end, step, signal) =>
    call('/api/v1/query_range', { query, start, end, step, stats: 'all' }, { method: 'POST', signal }),
  metricNames: () => call('/api/v1/label/__name__/values').then((j) => j.data),
  labelNames: (match) => call('/api/v1/labels', { 'match[]': match ? [match] : undefined }).then((j) => j.data),
  labelValues: (name, match) =>
    call(`/api/v1/label/${encodeURIComponent(name)}/values`, { 'match[]': match ? [match] : undefined }).then((j) => j.data),
  explorerMetrics: (search) => call('/console/api/metrics', { search, limit: 500 }).then((j) => j.data),
  explorerMetric: (name) => call('/console/api/metric', { name, top: 10 }).then((j) => j.data),
  storage: () => call('/console/api/storage').then((j) => j.data),
  functions: () => call('/console/api/functions').then((j) => j.data),
  buildinfo: () => call('/api/v1/status/buildinfo').then((j) => j.data),
  runtimeinfo: () => call('/api/v1/status/runtimeinfo').then((j) => j.data),
  flags: () => call('/api/v1/status/flags').then((j) => j.data),
  tsdb: () => call('/api/v1/status/tsdb').then((j) => j.data),
  rules: () => call('/api/v1/rules').then((j) => j.data),
  alerts: () => call('/api/v1/alerts').then((j) => j.data),
};

// Fetches the server's own /metrics text and returns a map "name{labels}" -> value (and per-name sums).
export async function selfMetrics() {
  const resp = await fetch('/metrics');
  const text = await resp.text();
  const series = new Map();
  const sums = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/);
    if (!m) continue;
    const v = parseFloat(m[3]);
    series.set(m[1] + (m[2] || ''), v);
    sums.set(m[1], (sums.get(m[1]) || 0) + (Number.isFinite(v) ? v : 0));
  }
  return { series, sums, at: Date.now() };
}
