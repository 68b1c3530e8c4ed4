import { describe, expect, it } from 'vitest';
import { singleStatement } from './single-statement.ts';

describe('singleStatement', () => {
  it('returns one statement without its trailing semicolon', () => {
    expect(singleStatement('  SELECT 1;  \n')).toBe('SELECT 1');
    expect(singleStatement('SELECT 1 -- trailing comment')).toBe('SELECT 1 -- trailing comment');
  });

  it('ignores semicolons inside strings, quoted identifiers and comments', () => {
    const sql = "SELECT 'a;b', \"x;y\", `p;q`, 'it''s; fine', 'esc\\';' /* c; */ -- d;\nFROM t";
    expect(singleStatement(sql)).toBe(sql);
  });

  it('refuses a second statement, even after a comment', () => {
    expect(() => singleStatement('SELECT 1; DROP TABLE product_events')).toThrow(/one statement/);
    expect(() => singleStatement('SELECT 1; -- x\nSELECT 2')).toThrow(/one statement/);
    expect(() => singleStatement('SELECT 1;;')).toThrow(/one statement/);
  });

  it('refuses unterminated strings, comments and brackets that would swallow the guard', () => {
    expect(() => singleStatement("SELECT 'open")).toThrow(/string is not closed/);
    expect(() => singleStatement('SELECT 1 /* open')).toThrow(/comment is not closed/);
    expect(() => singleStatement('SELECT (1')).toThrow(/\( is not closed/);
    expect(() => singleStatement('SELECT 1) SETTINGS readonly = 0')).toThrow(/no matching/);
  });

  it('refuses an empty query with a hint', () => {
    expect(() => singleStatement(' ; ')).toThrow(/empty/);
  });
});
