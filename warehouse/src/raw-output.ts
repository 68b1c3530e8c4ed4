import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { PulseError } from '@pulse/core';
import { translateWarehouseError } from './translate-error.ts';

/**
 * Row formats whose chunks can be concatenated: each streamed chunk is a fresh output of the
 * format, so a format with a header (CSVWithNames) or a footer (Parquet) would repeat it.
 */
export type RowStreamFormat = 'CSV' | 'TabSeparated' | 'JSONEachRow';
/** Formats the engine writes into one file (Parquet carries a footer, so it is never chunked). */
export type FileOutputFormat = 'Parquet' | 'CSVWithNames' | 'CSV' | 'JSONEachRow' | 'Arrow';

export interface RawQuery {
  /** One SELECT without FORMAT or SETTINGS; request values only as `{name:Type}` parameters. */
  query: string;
  params?: Record<string, unknown>;
  /** Engine settings for this statement; names and values come from code, never from requests. */
  settings?: Record<string, string | number>;
  /** Stops the statement in the engine, not only the JavaScript waiting for it. */
  signal?: AbortSignal;
}

export interface RawChunk {
  data: Uint8Array;
  /** Rows in the chunk; unknown for a ClickHouse server, which sends bytes only. */
  rows: number | undefined;
}

export interface FileOutputProgress {
  /** Rows the engine has written so far; 0 where the engine does not say (a server). */
  rowsWritten: number;
  bytesWritten: number;
}

/** Output straight from the engine, without a row ever becoming a JavaScript object. */
export interface RawOutput {
  streamRows(query: RawQuery & { format: RowStreamFormat }): AsyncIterable<RawChunk>;
  queryToFile(
    query: RawQuery & {
      format: FileOutputFormat;
      path: string;
      onProgress?: (progress: FileOutputProgress) => void;
    },
  ): Promise<{ bytes: number; rows: number | undefined }>;
}

const PROGRESS_POLL_MS = 250;

/**
 * The embedded engine: every call opens its own chDB session on the data directory, so a long
 * export runs beside the dashboard's queries instead of queueing in front of them (same-path
 * sessions share the engine and its data, each with its own query state).
 */
export async function createEmbeddedRawOutput(dataPath: string, database: string): Promise<RawOutput> {
  const { Session } = await import('chdb');
  const open = async () => {
    const session = new Session(dataPath);
    await session.queryAsync(`USE ${quote(database)}`);
    return session;
  };
  return {
    async *streamRows(q) {
      const session = await open();
      try {
        const stream = session.queryStreamBind(withSettings(q.query, q.settings), q.params ?? {}, {
          format: q.format,
          ...(q.signal ? { signal: q.signal } : {}),
        });
        for await (const chunk of stream) yield { data: chunk.raw(), rows: chunk.numRows };
      } catch (err) {
        throw translate(err, q.signal);
      } finally {
        session.close();
      }
    },
    async queryToFile(q) {
      // A log_comment finds the statement in system.processes (chDB takes no query_id, and a
      // comment is lost when bound parameters reformat the query). It is written into the KILL
      // and progress statements as a literal (KILL QUERY takes no parameters), which is safe
      // because it is a UUID made here.
      const marker = `pulse-raw:${randomUUID()}`;
      const mine = `Settings['log_comment'] = '${marker}'`;
      const session = await open();
      const control = await open();
      const sql = `INSERT INTO FUNCTION file({__pulse_path:String}, '${q.format}')\n${withSettings(q.query, { ...q.settings, log_comment: marker })}`;
      const kill = () => {
        control.queryAsync(`KILL QUERY WHERE ${mine} ASYNC`).catch(() => {});
      };
      q.signal?.addEventListener('abort', kill, { once: true });
      const poll = q.onProgress
        ? setInterval(async () => {
            const progress = await control
              .queryAsync(`SELECT sum(written_rows) AS rows FROM system.processes WHERE ${mine}`, {
                format: 'JSONEachRow',
              })
              .then((r) => r.json<{ rows: number | string }>())
              .catch(() => undefined);
            const bytes = await stat(q.path).then(
              (s) => s.size,
              () => 0,
            );
            q.onProgress?.({ rowsWritten: Number(progress?.rows ?? 0), bytesWritten: bytes });
          }, PROGRESS_POLL_MS)
        : undefined;
      try {
        if (q.signal?.aborted) throw q.signal.reason;
        await session.queryBindAsync(sql, { ...q.params, __pulse_path: q.path });
        if (q.signal?.aborted) throw q.signal.reason;
        // Parquet keeps its row count in the footer: reading it back checks the file too.
        const counted = await control.queryBindAsync(
          `SELECT count() AS rows FROM file({path:String}, '${q.format}')`,
          { path: q.path },
          { format: 'JSONEachRow' },
        );
        const { rows } = counted.json<{ rows: number | string }>();
        return { bytes: (await stat(q.path)).size, rows: Number(rows) };
      } catch (err) {
        throw translate(err, q.signal);
      } finally {
        clearInterval(poll);
        q.signal?.removeEventListener('abort', kill);
        session.close();
        control.close();
      }
    },
  };
}

/** A ClickHouse server streams any format over HTTP; the client's abort signal cancels it there. */
export function createServerRawOutput(client: ClickHouseClient): RawOutput {
  const exec = (q: RawQuery, format: string) =>
    client.exec({
      query: `${q.query}\nFORMAT ${format}`,
      query_params: q.params ?? {},
      clickhouse_settings: (q.settings ?? {}) as Record<string, never>,
      ...(q.signal ? { abort_signal: q.signal } : {}),
    });
  return {
    async *streamRows(q) {
      try {
        const { stream } = await exec(q, q.format);
        for await (const data of stream as AsyncIterable<Buffer>) yield { data, rows: undefined };
      } catch (err) {
        throw translate(err, q.signal);
      }
    },
    async queryToFile(q) {
      try {
        const { stream } = await exec(q, q.format);
        let bytes = 0;
        const counted = Readable.from(
          (async function* () {
            for await (const data of stream as AsyncIterable<Buffer>) {
              bytes += data.length;
              q.onProgress?.({ rowsWritten: 0, bytesWritten: bytes });
              yield data;
            }
          })(),
        );
        await pipeline(counted, createWriteStream(q.path, { flags: 'wx' }));
        return { bytes, rows: undefined };
      } catch (err) {
        throw translate(err, q.signal);
      }
    },
  };
}

function withSettings(query: string, settings: Record<string, string | number> | undefined): string {
  const entries = Object.entries(settings ?? {});
  if (entries.length === 0) return query;
  for (const [name] of entries)
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`not a ClickHouse setting name: ${name}`);
  const value = (v: string | number) =>
    typeof v === 'number' ? String(v) : `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  return `${query}\nSETTINGS ${entries.map(([k, v]) => `${k} = ${value(v)}`).join(', ')}`;
}

function translate(err: unknown, signal: AbortSignal | undefined): PulseError {
  if (signal?.aborted)
    return new PulseError('QUERY_CANCELLED', 'the query was cancelled', {
      cause: err,
      hint: 'It was stopped on request; run it again to get the result.',
    });
  return translateWarehouseError(err, 'QUERY_FAILED', 'the query failed in the warehouse');
}

const quote = (name: string) => `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;
