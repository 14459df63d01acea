/**
 * Maps an offset inside a `when` expression to the file position it came from, so CEL
 * errors point into the expression: exact for single-line scalars (plain or quoted),
 * and for block scalars and escaped strings by aligning the expression's characters
 * with the source text.
 */
import { offsetLocation, type Location, type PathSegment, type SourceDocument } from '../config/source.js';

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function toLocation(file: string, starts: number[], offset: number): Location {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { file, line: lo + 1, col: offset - starts[lo] + 1 };
}

/** Location of character `offset` of the string value at `path` (the `when` expression). */
export function locateInExpression(doc: SourceDocument, path: readonly PathSegment[], expr: string, offset: number): Location {
  const base = doc.locate(path);
  const line = doc.line(base.line);
  const quote = line[base.col - 1] === '"' || line[base.col - 1] === "'" ? 1 : 0;
  const start = base.col - 1 + quote;
  // The common case: the whole expression sits on its line as written.
  if (!expr.includes('\n') && line.slice(start, start + expr.length) === expr) return offsetLocation(doc, path, offset);

  const starts = lineStarts(doc.text);
  let pos = starts[base.line - 1] + base.col - 1;
  const text = doc.text;
  // Block scalar header (`|`, `>-`, `|2`...): the content starts on the next line.
  if (text[pos] === '|' || text[pos] === '>') {
    while (pos < text.length && text[pos] !== '\n') pos++;
  } else if (quote) pos++;
  // Walk the expression and the source together: a run of whitespace in one matches a
  // run in the other (indentation, folded or kept line breaks); any other character is
  // found by scanning forward (which steps over escapes such as \").
  const target = Math.min(offset, expr.length);
  const isSpace = (c: string | undefined) => c === ' ' || c === '\n' || c === '\t' || c === '\r';
  let i = 0;
  while (i < target) {
    if (isSpace(expr[i])) {
      while (i < target && isSpace(expr[i])) i++;
      while (pos < text.length && isSpace(text[pos])) pos++;
      continue;
    }
    const j = text.indexOf(expr[i], pos);
    if (j < 0) return offsetLocation(doc, path, offset);
    pos = j + 1;
    i++;
  }
  if (target < expr.length && !isSpace(expr[target])) {
    const j = text.indexOf(expr[target], pos);
    if (j >= 0) pos = j;
  }
  return toLocation(doc.file, starts, pos);
}
