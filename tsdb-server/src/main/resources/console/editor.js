// The query editor: a textarea over a syntax-highlighted mirror, with autocompletion of metric names,
// label names, label values and functions (from the HTTP API), query history, and an error marker at
// the position the server reports.

import { api } from './api.js';
import { AGGREGATIONS, FUNCTIONS, KEYWORDS, completionContext, errorPosition, offsetOf, tokenize } from './promql.js';

const HISTORY_KEY = 'tsdb.history';
const HISTORY_MAX = 50;

const metricCache = { at: 0, names: null };

// The server's function registry, loaded once: completion waits for it, highlighting redraws when it arrives.
const functionsLoaded = api.functions()
  .then((fs) => { FUNCTIONS.push(...fs.map((f) => f.name)); })
  .catch(() => {});

async function metricNames() {
  if (!metricCache.names || Date.now() - metricCache.at > 30_000) {
    metricCache.names = await api.metricNames().catch(() => []);
    metricCache.at = Date.now();
  }
  return metricCache.names;
}

function escapeHtml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function history() {
  try { return JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]'); } catch { return []; }
}

export function remember(query) {
  const q = query.trim();
  if (!q) return;
  const h = history().filter((x) => x !== q);
  h.unshift(q);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(h.slice(0, HISTORY_MAX)));
}

export class Editor {
  constructor(parent, { value = '', onRun }) {
    this.onRun = onRun;
    this.root = document.createElement('div');
    this.root.className = 'editor';
    this.root.innerHTML = `
      <pre class="highlight" aria-hidden="true"></pre>
      <textarea class="query-input" spellcheck="false" autocapitalize="off" autocomplete="off" rows="1"
        placeholder="Expression, e.g. sum by (region) (rate(http_request&lt;code=500&gt;[5m]))  (Enter runs, Shift+Enter new line)"></textarea>
      <ul class="completions" role="listbox" hidden></ul>
      <div class="error-marker" hidden></div>`;
    parent.appendChild(this.root);
    this.input = this.root.querySelector('textarea');
    this.mirror = this.root.querySelector('.highlight');
    this.list = this.root.querySelector('.completions');
    this.marker = this.root.querySelector('.error-marker');
    this.items = [];
    this.selected = 0;
    this.error = null;
    this.input.value = value;
    this.input.addEventListener('input', () => { this.clearError(); this.render(); this.complete(); });
    functionsLoaded.then(() => this.render());
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.input.addEventListener('blur', () => setTimeout(() => this.hideList(), 150));
    this.input.addEventListener('scroll', () => { this.mirror.scrollTop = this.input.scrollTop; });
    this.input.addEventListener('click', () => this.hideList());
    this.render();
  }

  get value() { return this.input.value; }

  set value(v) { this.input.value = v; this.render(); }

  focus() { this.input.focus(); }

  render() {
    const text = this.input.value;
    let html = '';
    const errAt = this.error ? this.error.offset : -1;
    for (const t of tokenize(text)) {
      let inner = escapeHtml(t.text);
      if (errAt >= t.start && errAt < t.start + t.text.length) {
        const k = errAt - t.start;
        inner = escapeHtml(t.text.slice(0, k)) + `<mark class="err">${escapeHtml(t.text.slice(k, k + 1))}</mark>` + escapeHtml(t.text.slice(k + 1));
      }
      html += t.type === 'ws' ? inner : `<span class="tok-${t.type}">${inner}</span>`;
    }
    if (errAt >= text.length && this.error) html += '<mark class="err"> </mark>';
    this.mirror.innerHTML = html + '\n';
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.max(this.input.scrollHeight, 34)}px`;
    this.mirror.style.height = this.input.style.height;
  }

  showError(message) {
    const pos = errorPosition(message);
    if (!pos) { this.clearError(); return false; }
    const offset = offsetOf(this.input.value, pos.line, pos.col);
    this.error = { offset, ...pos };
    this.marker.hidden = false;
    this.marker.textContent = `${'\u00a0'.repeat(Math.max(0, pos.col - 1))}^ ${pos.message}`;
    this.marker.dataset.line = pos.line;
    this.marker.dataset.col = pos.col;
    this.render();
    return true;
  }

  clearError() {
    if (!this.error && this.marker.hidden) return;
    this.error = null;
    this.marker.hidden = true;
    this.render();
  }

  onKey(e) {
    const open = !this.list.hidden && this.items.length > 0;
    if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      this.selected = (this.selected + (e.key === 'ArrowDown' ? 1 : this.items.length - 1)) % this.items.length;
      this.drawList();
    } else if (open && (e.key === 'Tab' || (e.key === 'Enter' && !e.ctrlKey && !e.metaKey))) {
      e.preventDefault();
      this.accept(this.selected);
    } else if (open && e.key === 'Escape') {
      e.preventDefault();
      this.hideList();
    } else if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      this.hideList();
      this.onRun();
    } else if (e.key === ' ' && e.ctrlKey) {
      e.preventDefault();
      this.complete(true);
    }
  }

  async complete(force = false) {
    const text = this.input.value;
    const cursor = this.input.selectionStart;
    const ctx = completionContext(text, cursor);
    this.ctx = ctx;
    if (!force && ctx.kind === 'metric' && ctx.prefix.length < 1) { this.hideList(); return; }
    let candidates = [];
    try {
      if (ctx.kind === 'metric') {
        const names = await metricNames();
        await functionsLoaded;
        candidates = [
          ...names.map((n) => ({ text: n, kind: 'metric' })),
          ...FUNCTIONS.map((n) => ({ text: n, kind: 'function', suffix: '(' })),
          ...AGGREGATIONS.map((n) => ({ text: n, kind: 'aggregation', suffix: '(' })),
          ...KEYWORDS.map((n) => ({ text: n, kind: 'keyword' })),
        ];
      } else if (ctx.kind === 'label') {
        const names = await api.labelNames(ctx.metric ? `{__name__="${ctx.metric}"}` : null);
        candidates = names.filter((n) => n !== '__name__').map((n) => ({ text: n, kind: 'label' }));
      } else if (ctx.kind === 'value') {
        const values = await api.labelValues(ctx.label, ctx.metric ? `{__name__="${ctx.metric}"}` : null);
        candidates = values.map((v) => ({ text: v, kind: 'value', quote: ctx.quote }));
      }
    } catch {
      candidates = [];
    }
    if (this.input.value !== text || this.input.selectionStart !== cursor) return; // stale answer
    const p = ctx.prefix.toLowerCase();
    const starts = candidates.filter((c) => c.text.toLowerCase().startsWith(p));
    const contains = candidates.filter((c) => !c.text.toLowerCase().startsWith(p) && p && c.text.toLowerCase().includes(p));
    this.items = [...starts, ...contains].filter((c) => c.text !== ctx.prefix || force).slice(0, 50);
    this.selected = 0;
    if (this.items.length === 0) { this.hideList(); return; }
    this.drawList();
  }

  drawList() {
    this.list.innerHTML = '';
    this.items.forEach((it, i) => {
      const li = document.createElement('li');
      li.className = `completion kind-${it.kind}${i === this.selected ? ' selected' : ''}`;
      li.setAttribute('role', 'option');
      li.innerHTML = `<span class="text">${escapeHtml(it.text)}</span><span class="kind">${it.kind}</span>`;
      li.addEventListener('mousedown', (e) => { e.preventDefault(); this.accept(i); });
      this.list.appendChild(li);
    });
    this.list.hidden = false;
    const sel = this.list.children[this.selected];
    if (sel && sel.scrollIntoView) sel.scrollIntoView({ block: 'nearest' });
  }

  hideList() {
    this.list.hidden = true;
    this.items = [];
  }

  accept(i) {
    const it = this.items[i];
    const ctx = this.ctx;
    if (!it || !ctx) return;
    const text = this.input.value;
    const cursor = this.input.selectionStart;
    let insert = it.text + (it.suffix || '');
    if (it.kind === 'value' && !it.quote) insert = `"${it.text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    else if (it.kind === 'value' && it.quote) {
      insert = it.text + (text[cursor] === it.quote ? '' : it.quote);
    }
    this.input.value = text.slice(0, ctx.from) + insert + text.slice(cursor);
    const pos = ctx.from + insert.length;
    this.input.setSelectionRange(pos, pos);
    this.hideList();
    this.render();
    this.input.focus();
  }
}
