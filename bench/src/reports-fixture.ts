// The 1M-row result the reports benchmark exports: a table shaped like a metric query's answer
// (hourly bucket, a user dimension, a count, a rate and an amount), filled by the engine itself.
import type { ResultColumn, Warehouse } from '@pulse/warehouse';

export const benchColumns: ResultColumn[] = [
  { name: 'time', kind: 'time', type: 'time', label: 'Hour' },
  { name: 'user_id', kind: 'dimension', type: 'string' },
  { name: 'events', kind: 'metric', type: 'number', label: 'Events', format: 'number' },
  { name: 'conversion', kind: 'metric', type: 'number', label: 'Conversion', format: 'percent' },
  { name: 'revenue', kind: 'metric', type: 'number', label: 'Revenue', format: 'currency' },
];

export const benchStatement = (rows: number) => ({
  sql: 'SELECT time, user_id, events, conversion, revenue FROM bench_report_rows ORDER BY time, user_id LIMIT {limit:UInt32}',
  params: { limit: rows },
});

export async function createBenchRows(warehouse: Warehouse, rows: number): Promise<void> {
  await warehouse.client.command({
    query: `CREATE TABLE IF NOT EXISTS bench_report_rows (
      time DateTime('UTC'), user_id String, events UInt32, conversion Float64, revenue Float64
    ) ENGINE = MergeTree ORDER BY (time, user_id)`,
  });
  await warehouse.client.command({
    query: `INSERT INTO bench_report_rows SELECT
      toDateTime('2026-01-01 00:00:00', 'UTC') + intDiv(number, 1000) * 3600,
      concat('user-', leftPad(toString(number % 1000), 6, '0')),
      1 + number % 97, (number % 1000) / 1000, round((number % 10007) * 1.37, 2)
      FROM numbers({rows:UInt64})`,
    query_params: { rows },
  });
}
