// Formatting helpers shared by the views.

export function seriesName(metric) {
  const name = metric.__name__ || '';
  const labels = Object.keys(metric).filter((k) => k !== '__name__').sort()
    .map((k) => `${k}="${metric[k]}"`);
  return labels.length ? `${name}{${labels.join(', ')}}` : (name || '{}');
}

const UNITS = [['y', 31536000], ['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1], ['ms', 0.001]];

// Parses a Prometheus duration ("1h30m", "90s", "500ms") or plain seconds into seconds; NaN if invalid.
export function parseDuration(s) {
  if (s === undefined || s === null) return NaN;
  s = String(s).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return parseFloat(s);
  const re = /(\d+(?:\.\d+)?)(ms|y|w|d|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  let m;
  while ((m = re.exec(s))) {
    total += parseFloat(m[1]) * UNITS.find((u) => u[0] === m[2])[1];
    consumed += m[0].length;
  }
  return consumed === s.length && consumed > 0 ? total : NaN;
}

export function formatDuration(sec) {
  if (!Number.isFinite(sec) || sec <= 0) return '0s';
  let out = '';
  let rest = sec;
  for (const [u, n] of UNITS) {
    if (u === 'ms') { if (rest > 1e-9 && out === '') out += `${Math.round(rest * 1000)}ms`; break; }
    const k = Math.floor(rest / n + 1e-9);
    if (k > 0) { out += `${k}${u}`; rest -= k * n; }
  }
  return out || '0s';
}

const NICE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

// Grafana-like automatic step: about one point per pixel of chart width, rounded up to a nice value.
export function autoStep(rangeSec, widthPx) {
  const raw = rangeSec / Math.max(100, Math.min(widthPx || 1000, 2000));
  return NICE_STEPS.find((s) => s >= raw) || Math.ceil(raw / 86400) * 86400;
}

// Parses an end-time string: empty -> null (now), Unix seconds, or anything Date understands (RFC 3339).
export function parseTime(s) {
  if (!s) return null;
  if (/^\d+(\.\d+)?$/.test(s)) return parseFloat(s);
  const t = Date.parse(s);
  return Number.isNaN(t) ? NaN : t / 1000;
}

export function formatValue(v) {
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  if (n !== 0 && (Math.abs(n) >= 1e15 || Math.abs(n) < 1e-4)) return n.toExponential(4);
  return String(Math.round(n * 1e6) / 1e6);
}
