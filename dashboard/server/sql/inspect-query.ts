import { PulseError } from '@pulse/core';
import type { SqlCatalog } from './sql-catalog.ts';
import type { SqlRestrictions } from './table-filters.ts';

/** Table functions that only generate values and read no table or file. */
const allowedTableFunctions = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'generateseries',
  'generate_series',
  'values',
]);
/** Ordinary functions that read files, dictionaries, join tables or server configuration. */
const deniedFunctions =
  /^(file|dictget.*|dicthas|dictisin|dictgethierarchy|dictgetchildren|dictgetdescendants|joinget.*|getserversetting|getmacro|showcertificate|catboostevaluate|filesystem.*|getclienthttpheader)$/;

interface AstLine {
  depth: number;
  node: string;
  argument: string;
}

/**
 * The parse-only check (`EXPLAIN AST`, nothing is read): the statement is one SELECT, sets no
 * setting of its own (a SETTINGS clause in a subquery would override the workspace filter — seen
 * on ClickHouse 26.7 — whatever the outer query's readonly says), names no other database or
 * hidden table, and calls no function that reads outside the served tables. It runs before the
 * analyser, because the analyser already executes scalar subqueries and its errors reach the user.
 */
export function checkAst(explainAst: readonly string[], catalog: SqlCatalog): void {
  const lines = explainAst.map(parseLine);
  const root = lines[0]?.node;
  if (root !== 'SelectWithUnionQuery' && root !== 'SelectIntersectExceptQuery')
    throw refused('only SELECT queries run in the SQL tab', 'Write a SELECT (or WITH … SELECT) statement.');
  for (const [index, line] of lines.entries()) {
    if (line.node === 'Set')
      throw refused(
        'a SETTINGS clause cannot be used in the SQL tab',
        'Remove it: limits and filters are set by Pulse.',
      );
    if (line.depth === 1 && line.node !== 'ExpressionList')
      throw refused(
        'FORMAT and INTO OUTFILE cannot be used in the SQL tab',
        'Remove the clause: results come back as a grid, and can be exported from there.',
      );
    if (line.node === 'TableIdentifier' || line.node === 'Identifier')
      checkName(line.argument, line.node, catalog);
    if (line.node === 'Function') {
      const name = line.argument.toLowerCase();
      const asTable = parentOf(lines, index)?.node === 'TableExpression' || !catalog.functions.has(name);
      if (asTable && catalog.tableFunctions.has(name) && !allowedTableFunctions.has(name))
        throw refused(
          `the table function ${line.argument}() cannot be used in the SQL tab`,
          'Query the tables listed in the schema browser; numbers(), zeros() and values() are allowed.',
        );
      if (!asTable && deniedFunctions.test(name))
        throw refused(
          `the function ${line.argument}() cannot be used in the SQL tab`,
          'It reads outside the warehouse tables Pulse serves.',
        );
    }
  }
}

/**
 * The check after analysis (`EXPLAIN QUERY TREE`): every table actually read is one Pulse serves
 * (CTEs and aliases are resolved by then), every table function is a generator, and no denied
 * column (from a data policy) is read.
 */
export function checkQueryTree(
  explainTree: readonly string[],
  catalog: SqlCatalog,
  restrictions: SqlRestrictions,
): string[] {
  const served = new Set(catalog.tables.map((t) => t.name));
  const tablesById = new Map<string, string>();
  for (const line of explainTree) {
    const table = /^\s*TABLE id: (\d+),.*table_name: (\S+)/.exec(line);
    if (table && table[2] !== implicitTable) {
      const [database, name] = splitQualified(table[2]!);
      if (database !== catalog.database || !served.has(name))
        throw refused(
          `the table ${table[2]} is not available in the SQL tab`,
          'Use the tables listed in the schema browser.',
        );
      tablesById.set(table[1]!, name);
    }
    const fn = /^\s*TABLE_FUNCTION id: \d+,.*table_function_name: (\w+)/.exec(line);
    if (fn && !allowedTableFunctions.has(fn[1]!.toLowerCase()))
      throw refused(
        `the table function ${fn[1]}() cannot be used in the SQL tab`,
        'Use the tables listed in the schema browser.',
      );
  }
  for (const line of explainTree) {
    const column = /^\s*COLUMN id: \d+, column_name: ([^,]+),.*source_id: (\d+)/.exec(line);
    const table = column && tablesById.get(column[2]!);
    if (table && restrictions.deniedColumns.get(table)?.has(column[1]!))
      throw new PulseError('SQL_COLUMN_FORBIDDEN', `the column ${table}.${column[1]} is restricted for you`, {
        hint: 'A data policy hides this column; ask an admin, or leave it out of the query.',
      });
  }
  return [...new Set(tablesById.values())].sort();
}

/** ClickHouse reads `SELECT 1` (no FROM) from this one-row table. */
const implicitTable = 'system.one';

function checkName(argument: string, node: string, catalog: SqlCatalog): void {
  const name = argument.replace(/ \(alias .*\)$/, '');
  if (name === implicitTable) return;
  const parts = name.split('.');
  if (parts.length > 1 && catalog.otherDatabases.has(parts[0]!.toLowerCase()))
    throw refused(
      `the database ${parts[0]} is not available in the SQL tab`,
      'Use the tables listed in the schema browser.',
    );
  const table =
    parts.length > 1 && parts[0] === catalog.database
      ? parts[1]!
      : parts.length === 1
        ? parts[0]!
        : undefined;
  // An Identifier equal to a hidden table's name is `x IN hidden_table`; a column would rarely clash.
  if (
    table !== undefined &&
    catalog.hiddenTables.has(table) &&
    (node === 'TableIdentifier' || parts.length === 1)
  )
    throw refused(
      `the table ${table} is not available in the SQL tab`,
      'Use the tables listed in the schema browser.',
    );
}

function parseLine(raw: string): AstLine {
  const depth = raw.length - raw.trimStart().length;
  const text = raw.trim().replace(/ \(children \d+\)$/, '');
  const space = text.indexOf(' ');
  return space === -1
    ? { depth, node: text, argument: '' }
    : { depth, node: text.slice(0, space), argument: text.slice(space + 1) };
}

function parentOf(lines: AstLine[], index: number): AstLine | undefined {
  const depth = lines[index]!.depth;
  for (let i = index - 1; i >= 0; i--) if (lines[i]!.depth < depth) return lines[i];
  return undefined;
}

function splitQualified(name: string): [string, string] {
  const dot = name.indexOf('.');
  return dot === -1 ? ['', name] : [name.slice(0, dot), name.slice(dot + 1)];
}

function refused(message: string, hint: string): PulseError {
  return new PulseError('SQL_INVALID', message, { hint });
}
