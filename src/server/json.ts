/**
 * Request body parsing with the limits a gateway needs: nesting depth and prototype
 * poisoning are refused before the body reaches any handler. The common case (a
 * body with neither) costs one linear scan plus JSON.parse.
 */
import { SwitchyardError } from '../errors.js';

const OPEN_BRACE = 123, OPEN_BRACKET = 91, CLOSE_BRACE = 125, CLOSE_BRACKET = 93, QUOTE = 34, BACKSLASH = 92;

/**
 * Deepest nesting of objects/arrays in a JSON text (strings are skipped). A string is
 * skipped by searching for its closing quote, not read a character at a time: the base64
 * of a 20 MB image took this scan four times as long as JSON.parse itself.
 */
export function jsonDepth(text: string): number {
  let depth = 0, max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = closingQuote(text, i);
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) { if (++depth > max) max = depth; }
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return max;
}

/** Where the string opened at `open` ends: its unescaped closing quote, else the text's end. */
function closingQuote(text: string, open: number): number {
  for (let q = text.indexOf('"', open + 1); q > 0; q = text.indexOf('"', q + 1)) {
    // Escaped when an odd run of backslashes comes before it (the opening quote ends any run).
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
  }
  return text.length;
}

/**
 * Whether `text` holds at most `limit` opening brackets (`{` and `[`, in strings too): then
 * it nests no deeper than `limit`, whatever jsonDepth would find.
 * @example fewOpenings('{"a":[1,2]}', 2) // true
 */
export function fewOpenings(text: string, limit: number): boolean {
  let n = 0;
  for (let i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) if (++n > limit) return false;
  for (let i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) if (++n > limit) return false;
  return true;
}

function findForbiddenKey(value: unknown, path: string): string | null {
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findForbiddenKey(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (key === '__proto__') return `${path}.__proto__`;
    if (key === 'constructor' && child !== null && typeof child === 'object' && Object.prototype.hasOwnProperty.call(child, 'prototype')) return `${path}.constructor.prototype`;
    const hit = findForbiddenKey(child, `${path}.${key}`);
    if (hit) return hit;
  }
  return null;
}

export function parseJsonBody(text: string, maxDepth: number): unknown {
  // A byte order mark may be ignored (RFC 8259 §8.1): Windows tools (PowerShell 5's
  // `Out-File -Encoding utf8`, Notepad) start a UTF-8 file with one.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) throw new SwitchyardError('SY_ERR_INVALID_JSON', 'The request body is empty; send a JSON object.');
  // Nesting needs an opening bracket per level: a body with few of them (in strings or
  // not) is not scanned. Counting them is a native search; the scan reads the text in JS.
  if (!fewOpenings(text, maxDepth) && jsonDepth(text) > maxDepth) {
    throw new SwitchyardError('SY_ERR_JSON_TOO_DEEP', `The request body nests deeper than ${maxDepth} levels.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SwitchyardError('SY_ERR_INVALID_JSON', `The request body is not valid JSON: ${(e as Error).message}`);
  }
  // A key may also be spelled with escapes ("\u005f_proto__"), so any escape triggers the walk.
  if (text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')) {
    const where = findForbiddenKey(value, '$');
    if (where) throw new SwitchyardError('SY_ERR_FORBIDDEN_KEY', `The request body contains a forbidden key at ${where}.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SwitchyardError('SY_ERR_BAD_REQUEST', 'The request body must be a JSON object.');
  }
  return value;
}
