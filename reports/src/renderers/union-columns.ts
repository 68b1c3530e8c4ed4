import { PulseError } from '@pulse/core/errors/pulse-error';
import type { ResultColumn } from '@pulse/warehouse';

/**
 * The columns of several tiles as one table: time, then dimensions, then metrics, each in order
 * of first appearance (which also wins the label).
 * A name used with two different types cannot share a typed column (XLSX keeps tiles apart, but
 * CSV and Arrow put them in one table), so that is refused with the names to change.
 */
export function unionColumns(lists: ResultColumn[][]): ResultColumn[] {
  const byName = new Map<string, ResultColumn>();
  for (const list of lists)
    for (const column of list) {
      const seen = byName.get(column.name);
      if (!seen) byName.set(column.name, column);
      else if (seen.type !== column.type)
        throw new PulseError(
          'REPORT_COLUMN_CONFLICT',
          `column "${column.name}" has two types in one report`,
          {
            hint: 'Give the metric or dimension a distinct name in one of the tiles, or export the tiles separately.',
            context: { column: column.name, types: [seen.type, column.type] },
          },
        );
    }
  const order = { time: 0, dimension: 1, metric: 2 };
  return [...byName.values()].sort((a, b) => order[a.kind] - order[b.kind]);
}
