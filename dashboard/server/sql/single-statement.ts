import { PulseError } from '@pulse/core';

/**
 * Checks that `sql` is one statement and returns it without a trailing `;`. The embedded engine
 * runs `a; b` as two statements, so the `;` must be found before anything reaches it.
 *
 * The scan is deliberately stricter than ClickHouse's lexer: it knows '…' strings, "…" and `…`
 * identifiers (with backslash and doubled-quote escapes), `--` line comments and `/* … *\/`
 * block comments. Anything it does not know (`#` comments, heredocs) leaves a `;` visible, so a
 * disagreement refuses a query instead of letting a second statement through. Unterminated
 * strings and comments are refused too: they would swallow the guard the runner wraps around
 * the query.
 */
export function singleStatement(sql: string): string {
  let i = 0;
  let depth = 0;
  let end = -1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i, c);
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? sql.length : eol + 1;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close === -1) throw invalid('a /* comment is not closed', i);
      i = close + 2;
      continue;
    }
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) throw invalid('a ) has no matching (', i);
    if (c === ';') {
      if (end === -1) end = i;
      else throw invalid('only one statement can run at a time', i);
    } else if (end !== -1 && !/\s/.test(c)) {
      throw invalid('only one statement can run at a time', i);
    }
    i++;
  }
  if (depth !== 0) throw invalid('a ( is not closed', sql.length);
  const statement = (end === -1 ? sql : sql.slice(0, end)).trim();
  if (statement.length === 0)
    throw new PulseError('SQL_INVALID', 'the query is empty', { hint: 'Write a SELECT statement.' });
  return statement;
}

function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '\\') i += 2;
    else if (c === quote && sql[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  throw invalid(`a ${quote === "'" ? 'string' : 'quoted identifier'} is not closed`, start);
}

function invalid(problem: string, offset: number): PulseError {
  return new PulseError('SQL_INVALID', `${problem} (at character ${offset + 1})`, {
    hint: 'The SQL tab runs a single SELECT; remove the extra statement or close the quote, comment or bracket.',
    context: { offset },
  });
}
