import type { ResultColumn, ResultRow } from '@pulse/warehouse';
import {
  type DataType,
  Field,
  Float64,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { ByteSink } from './byte-sink.ts';
import type { ReportDocument } from './report-document.ts';
import { tileRows } from './report-document.ts';
import { unionColumns } from './union-columns.ts';
import { wallClockToInstant } from './wall-clock-time.ts';

/** A tile becomes one record batch, or several when it has more rows than this. */
const MAX_BATCH_ROWS = 65_536;

/**
 * An Arrow IPC stream: one schema (the union of the tiles' columns, behind a `tile` column when
 * there are several tiles), one record batch per tile. Metrics are Float64 in their raw unit
 * (percent as fraction, duration in seconds), dimensions Utf8, time a UTC Timestamp(ms) tagged
 * with the report's zone. Field metadata keeps kind, format and label.
 */
export async function renderArrow(doc: ReportDocument, sink: ByteSink): Promise<void> {
  const withTile = doc.tiles.length > 1;
  const columns = unionColumns(doc.tiles.map((t) => t.result.columns));
  const schema = new Schema(
    [
      ...(withTile ? [new Field('tile', new Utf8(), false)] : []),
      ...columns.map((c) => new Field(c.name, arrowType(c, doc.timezone), true, fieldMetadata(c))),
    ],
    new Map([
      ['title', doc.title],
      ['period', doc.period],
      ['timezone', doc.timezone],
      ['generated_at', doc.generatedAt.toISOString()],
      ['data_as_of', doc.dataAsOf.toISOString()],
      ['filters', JSON.stringify(doc.filters)],
      ['tiles', JSON.stringify(doc.tiles.map((t) => t.title))],
    ]),
  );
  const writer = new RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  const copying = (async () => {
    for await (const chunk of writer)
      await sink.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  })();
  try {
    for (const tile of doc.tiles) {
      const timezone = tile.result.timeRange.timezone || doc.timezone;
      let batch: ResultRow[] = [];
      const flush = () => {
        writer.write(toBatch(schema, columns, batch, withTile ? tile.title : undefined, timezone));
        batch = [];
      };
      for await (const row of tileRows(tile)) {
        batch.push(row);
        if (batch.length === MAX_BATCH_ROWS) flush();
      }
      if (batch.length > 0 || tile.result.columns.length > 0) flush();
    }
  } finally {
    writer.close();
    await copying;
  }
}

function arrowType(column: ResultColumn, timezone: string): DataType {
  if (column.type === 'time') return new TimestampMillisecond(timezone);
  return column.type === 'number' ? new Float64() : new Utf8();
}

function fieldMetadata(column: ResultColumn): Map<string, string> {
  const entries: [string, string][] = [['kind', column.kind]];
  if (column.format) entries.push(['format', column.format]);
  if (column.label) entries.push(['label', column.label]);
  return new Map(entries);
}

function toBatch(
  schema: Schema,
  columns: ResultColumn[],
  rows: ResultRow[],
  tileTitle: string | undefined,
  timezone: string,
): RecordBatch {
  const children = [
    ...(tileTitle === undefined
      ? []
      : [
          vectorFromArray(
            rows.map(() => tileTitle),
            new Utf8(),
          ).data[0]!,
        ]),
    ...columns.map((c, i) => {
      const type = schema.fields[i + (tileTitle === undefined ? 0 : 1)]!.type;
      return vectorFromArray(
        rows.map((r) => arrowValue(c, r[c.name], timezone)),
        type,
      ).data[0]!;
    }),
  ];
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }),
  );
}

function arrowValue(column: ResultColumn, value: string | number | null | undefined, timezone: string) {
  if (value === null || value === undefined) return null;
  if (column.type === 'time')
    return typeof value === 'string' ? (wallClockToInstant(value, timezone)?.getTime() ?? null) : value;
  if (column.type === 'number') return typeof value === 'number' ? value : Number(value);
  return String(value);
}
