// Query-language knowledge for the editor: a tokenizer for syntax highlighting and the completion
// context at the cursor. It mirrors the server's grammar (PromQL plus the metric<label=value> form)
// closely enough for editing; the server's parser stays the judge of validity.

export const AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk',
  'quantile', 'count_values', 'limitk', 'limit_ratio'];

// PromQL function names, filled from the server's function registry (/console/api/functions) by editor.js.
export const FUNCTIONS = [];

export const KEYWORDS = ['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset',
  'and', 'or', 'unless', 'atan2'];

const IDENT = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const NUMBER = /(?:0x[0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|(?:\d+(?:ms|s|m|h|d|w|y))+)/y;
const DURATION = /(?:\d+(?:ms|s|m|h|d|w|y))+/y;
const OPS = ['=~', '!~', '!=', '==', '>=', '<=', '=', '+', '-', '*', '/', '%', '^', '>', '<', '@'];

function matchAt(re, text, i) {
  re.lastIndex = i;
  const m = re.exec(text);
  return m ? m[0] : null;
}

// Whether a '<' at position i (directly after a metric name) opens a dimensional selector: it must be
// followed by a label matcher (name then an operator) or directly by '>'.
export function opensSelector(text, i) {
  let j = i + 1;
  while (text[j] === ' ') j++;
  if (text[j] === '>') return true;
  const name = matchAt(/[a-zA-Z_][a-zA-Z0-9_]*/y, text, j);
  if (!name) return false;
  j += name.length;
  while (text[j] === ' ') j++;
  return /^(=~|!~|!=|=)/.test(text.slice(j, j + 2)) || j >= text.length;
}

// Splits the text into tokens {type, text, start}. Types: comment string number duration keyword
// aggregation function metric label op paren brace ws error.
export function tokenize(text) {
  const out = [];
  let i = 0;
  const stack = []; // '{' or '<' selector contexts, '(' grouping contexts
  let prevSignificant = null;
  while (i < text.length) {
    const c = text[i];
    const start = i;
    const inSel = stack.length && (stack[stack.length - 1] === '{' || stack[stack.length - 1] === '<');
    let type;
    let tok;
    if (/\s/.test(c)) {
      tok = text.slice(i).match(/^\s+/)[0];
      type = 'ws';
    } else if (c === '#') {
      const nl = text.indexOf('\n', i);
      tok = text.slice(i, nl < 0 ? text.length : nl);
      type = 'comment';
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += (text[j] === '\\' && c !== '`') ? 2 : 1;
      tok = text.slice(i, Math.min(j + 1, text.length));
      type = 'string';
    } else if (inSel && c === '>' && stack[stack.length - 1] === '<') {
      tok = '>'; type = 'brace'; stack.pop();
    } else if (c === '{' || c === '}') {
      tok = c; type = 'brace';
      if (c === '{') stack.push('{'); else if (stack.length) stack.pop();
    } else if (c === '<' && prevSignificant && prevSignificant.type === 'metric' && out[out.length - 1] === prevSignificant
               && opensSelector(text, i)) {
      tok = '<'; type = 'brace'; stack.push('<');
    } else if (c === '(' || c === ')' || c === '[' || c === ']' || c === ',') {
      tok = c; type = 'paren';
      if (c === '(') stack.push('('); else if (c === ')' && stack.length) stack.pop();
    } else if (inSel && /[a-zA-Z0-9_.\-]/.test(c) && prevSignificant && prevSignificant.type === 'op') {
      tok = text.slice(i).match(/^[a-zA-Z0-9_.\-:]+/)[0]; type = 'string'; // unquoted label value
    } else if (/[0-9.]/.test(c) && (tok = matchAt(DURATION, text, i)) && !/[a-zA-Z_]/.test(text[i + tok.length] || '')) {
      type = 'duration';
    } else if (/[0-9.]/.test(c) && (tok = matchAt(NUMBER, text, i))) {
      type = 'number';
    } else if ((tok = matchAt(IDENT, text, i))) {
      const lower = tok.toLowerCase();
      let j = i + tok.length;
      while (text[j] === ' ') j++;
      if (inSel) type = 'label';
      else if (AGGREGATIONS.includes(lower) && (text[j] === '(' || /^(by|without)\b/.test(text.slice(j)))) type = 'aggregation';
      else if (KEYWORDS.includes(lower)) type = 'keyword';
      else if (/^(inf|nan)$/i.test(tok)) type = 'number';
      else if (text[j] === '(' && FUNCTIONS.includes(tok)) type = 'function';
      else if (prevSignificant && prevSignificant.type === 'keyword' && /^(by|without|on|ignoring|group_left|group_right)$/.test(prevSignificant.text)) type = 'label';
      else if (stack.length && stack[stack.length - 1] === '(' && isGroupingParen(out)) type = 'label';
      else type = 'metric';
    } else {
      tok = OPS.find((o) => text.startsWith(o, i));
      if (tok) type = 'op'; else { tok = c; type = 'error'; }
    }
    const t = { type, text: tok, start };
    out.push(t);
    if (type !== 'ws' && type !== 'comment') prevSignificant = t;
    i += tok.length;
  }
  return out;
}

// True when the innermost open '(' belongs to by/without/on/ignoring/group_left/group_right.
function isGroupingParen(tokens) {
  let depth = 0;
  for (let k = tokens.length - 1; k >= 0; k--) {
    const t = tokens[k];
    if (t.type === 'paren' && t.text === ')') depth++;
    else if (t.type === 'paren' && t.text === '(') {
      if (depth === 0) {
        let p = k - 1;
        while (p >= 0 && tokens[p].type === 'ws') p--;
        return p >= 0 && tokens[p].type === 'keyword' && /^(by|without|on|ignoring|group_left|group_right)$/.test(tokens[p].text);
      }
      depth--;
    }
  }
  return false;
}

// What can be completed at the cursor: {kind: 'metric'|'label'|'value', prefix, metric, label, from}.
// 'from' is where the replaced text starts.
export function completionContext(text, cursor) {
  const before = text.slice(0, cursor);
  const tokens = tokenize(before);
  // Find the innermost unclosed selector opener.
  let depthBrace = 0;
  let opener = -1;
  for (let k = tokens.length - 1; k >= 0; k--) {
    const t = tokens[k];
    if (t.type !== 'brace') continue;
    if (t.text === '}' || t.text === '>') depthBrace++;
    else if (depthBrace === 0) { opener = k; break; } else depthBrace--;
  }
  if (opener >= 0) {
    let p = opener - 1;
    while (p >= 0 && tokens[p].type === 'ws') p--;
    const metric = p >= 0 && tokens[p].type === 'metric' ? tokens[p].text : null;
    const seg = before.slice(tokens[opener].start + 1);
    const lastComma = seg.lastIndexOf(',');
    const part = seg.slice(lastComma + 1);
    const opMatch = part.match(/^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(["'`]?)(.*)$/);
    if (opMatch) {
      const prefix = opMatch[4];
      return { kind: 'value', metric, label: opMatch[1], prefix, quote: opMatch[3], from: cursor - prefix.length };
    }
    const prefix = part.trimStart();
    return { kind: 'label', metric, prefix, from: cursor - prefix.length };
  }
  const last = tokens[tokens.length - 1];
  const prefixMatch = before.match(/[a-zA-Z_:][a-zA-Z0-9_:]*$/);
  const prefix = prefixMatch ? prefixMatch[0] : '';
  if (last && last.type === 'label' && prefix) {
    return { kind: 'label', metric: null, prefix, from: cursor - prefix.length };
  }
  if (isGroupingParen(tokens.filter((t) => t !== last || !prefix))) {
    return { kind: 'label', metric: null, prefix, from: cursor - prefix.length };
  }
  return { kind: 'metric', prefix, from: cursor - prefix.length };
}

// Parses "line:col: message" from a server error; returns {line, col, message} or null.
export function errorPosition(message) {
  const m = /^(?:.*?:\s*)?(\d+):(\d+):\s*(.*)$/s.exec(message || '');
  if (!m) return null;
  return { line: Number(m[1]), col: Number(m[2]), message: m[3] };
}

// Character offset of a 1-based line:column in text.
export function offsetOf(text, line, col) {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) return text.length;
    off = nl + 1;
  }
  return Math.min(text.length, off + col - 1);
}
