// One query panel: editor, time controls (range, end, step), graph/table toggle and the result area.

import { api } from './api.js';
import { drawChart } from './chart.js';
import { Editor, history, remember } from './editor.js';
import { autoStep, formatDuration, parseDuration, parseTime } from './format.js';
import { drawTable } from './table.js';

const RANGES = ['5m', '15m', '30m', '1h', '3h', '6h', '12h', '1d', '2d', '7d', '14d', '30d'];

export class Panel {
  constructor(parent, state, { onChange, onRemove, index }) {
    this.state = { query: '', range: '1h', end: '', step: '', view: 'graph', stacked: false, ...state };
    this.onChange = onChange;
    this.root = document.createElement('div');
    this.root.className = 'panel';
    this.root.dataset.index = index;
    this.root.innerHTML = `
      <div class="panel-editor"></div>
      <div class="controls">
        <button type="button" class="run primary">Execute</button>
        <select class="history" title="Query history"><option value="">History…</option></select>
        <span class="tabs">
          <button type="button" class="tab" data-view="graph">Graph</button>
          <button type="button" class="tab" data-view="table">Table</button>
        </span>
        <label>Range <input class="range" list="ranges" size="5"></label>
        <datalist id="ranges">${RANGES.map((r) => `<option value="${r}">`).join('')}</datalist>
        <label>End <input class="end" placeholder="now" size="20" title="RFC 3339 or Unix seconds; empty = now"></label>
        <label>Step <input class="step" placeholder="auto" size="6" title="Duration; empty = auto from chart width"></label>
        <label class="stack"><input type="checkbox" class="stacked"> Stacked</label>
        <span class="spacer"></span>
        <span class="stats"></span>
        <button type="button" class="remove secondary" title="Remove panel">✕</button>
      </div>
      <div class="error" hidden></div>
      <div class="warnings" hidden></div>
      <div class="result"></div>`;
    parent.appendChild(this.root);
    this.editor = new Editor(this.root.querySelector('.panel-editor'), { value: this.state.query, onRun: () => this.run() });
    this.$ = (s) => this.root.querySelector(s);
    this.$('.range').value = this.state.range;
    this.$('.end').value = this.state.end;
    this.$('.step').value = this.state.step;
    this.$('.stacked').checked = !!this.state.stacked;
    this.$('.run').addEventListener('click', () => this.run());
    this.$('.remove').addEventListener('click', () => onRemove(this));
    this.root.querySelectorAll('.tab').forEach((b) => b.addEventListener('click', () => {
      this.state.view = b.dataset.view;
      this.run();
    }));
    for (const sel of ['.range', '.end', '.step']) {
      this.$(sel).addEventListener('keydown', (e) => { if (e.key === 'Enter') this.run(); });
      this.$(sel).addEventListener('change', () => this.run());
    }
    this.$('.stacked').addEventListener('change', () => this.run());
    const hist = this.$('.history');
    hist.addEventListener('focus', () => this.fillHistory());
    hist.addEventListener('mousedown', () => this.fillHistory());
    hist.addEventListener('change', () => {
      if (hist.value) { this.editor.value = hist.value; hist.value = ''; this.run(); }
    });
    this.updateTabs();
  }

  fillHistory() {
    const hist = this.$('.history');
    hist.innerHTML = '<option value="">History…</option>' + history()
      .map((q) => `<option>${q.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</option>`).join('');
  }

  updateTabs() {
    this.root.querySelectorAll('.tab').forEach((b) => b.classList.toggle('active', b.dataset.view === this.state.view));
    this.$('.stack').hidden = this.state.view !== 'graph';
  }

  readControls() {
    this.state.query = this.editor.value;
    this.state.range = this.$('.range').value.trim() || '1h';
    this.state.end = this.$('.end').value.trim();
    this.state.step = this.$('.step').value.trim();
    this.state.stacked = this.$('.stacked').checked;
  }

  showError(msg) {
    const el = this.$('.error');
    el.hidden = false;
    el.textContent = msg;
    this.editor.showError(msg);
  }

  async run() {
    this.readControls();
    this.updateTabs();
    this.onChange();
    const errEl = this.$('.error');
    errEl.hidden = true;
    this.editor.clearError();
    const warnEl = this.$('.warnings');
    warnEl.hidden = true;
    const result = this.$('.result');
    const query = this.state.query.trim();
    if (!query) { result.innerHTML = ''; return; }
    remember(query);
    const rangeSec = parseDuration(this.state.range);
    if (!(rangeSec > 0)) { this.showError(`invalid range "${this.state.range}": use a duration such as 1h or 30m`); return; }
    const endParsed = parseTime(this.state.end);
    if (Number.isNaN(endParsed)) { this.showError(`invalid end time "${this.state.end}": use RFC 3339 or Unix seconds`); return; }
    const end = endParsed ?? Date.now() / 1000;
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    const t0 = performance.now();
    result.classList.add('loading');
    try {
      let resp;
      if (this.state.view === 'table') {
        resp = await api.instant(query, end, this.abort.signal);
        drawTable(result, resp.data);
      } else {
        const width = result.clientWidth || 1000;
        let step = this.state.step ? parseDuration(this.state.step) : autoStep(rangeSec, width);
        if (!(step > 0)) { this.showError(`invalid step "${this.state.step}": use a duration such as 15s`); return; }
        const start = Math.floor((end - rangeSec) / step) * step;
        const alignedEnd = Math.floor(end / step) * step;
        resp = await api.range(query, start, alignedEnd, step, this.abort.signal);
        const dark = document.documentElement.dataset.theme === 'dark';
        if (resp.data.resultType !== 'matrix') { drawTable(result, resp.data); } else {
          drawChart(result, resp.data.result, { start, end: alignedEnd, step, stacked: this.state.stacked, dark });
        }
        this.$('.stats').textContent = `step ${formatDuration(step)} · `;
      }
      const n = Array.isArray(resp.data.result) && resp.data.resultType !== 'scalar' && resp.data.resultType !== 'string'
        ? resp.data.result.length : 1;
      const ms = Math.round(performance.now() - t0);
      this.$('.stats').textContent = (this.state.view === 'graph' ? this.$('.stats').textContent : '')
        + `${n} series · ${ms} ms`;
      const notes = [...(resp.warnings || []), ...(resp.infos || [])];
      if (notes.length) { warnEl.hidden = false; warnEl.textContent = notes.join('\n'); }
    } catch (e) {
      if (e.name === 'AbortError') return;
      result.innerHTML = '';
      this.showError(e.message);
    } finally {
      result.classList.remove('loading');
    }
  }
}
