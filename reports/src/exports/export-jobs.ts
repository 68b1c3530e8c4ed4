import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PulseError } from '@pulse/core';
import type { MetricCatalog, Warehouse } from '@pulse/warehouse';
import { periodLabel } from '../scheduler/build-report-document.ts';
import { readDataAsOf } from './data-as-of.ts';
import { type ExportFormat, parseExportRequest } from './export-request.ts';
import { type ExportSource, resolveExportSource } from './export-source.ts';
import { type ExportProgress, exportMedia, writeExport } from './write-export.ts';

export type ExportState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** A caller's own jobs only: another user of the same workspace sees "not found". */
export interface ExportOwner {
  workspaceId: string;
  userId: string;
  /** The caller's row filters and clearance: an export never holds more than the screen shows. */
  policy?: DataPolicy | undefined;
}

export interface ExportJobView {
  id: string;
  title: string;
  format: ExportFormat;
  state: ExportState;
  rowsWritten: number;
  bytesWritten: number;
  /** Rows the file will hold; null until counted. */
  totalRows: number | null;
  /** 0–100 when the total is known, else null. */
  percent: number | null;
  createdAt: string;
  finishedAt: string | null;
  /** When the file is deleted; null until it exists. */
  expiresAt: string | null;
  fileName: string;
  error: { code: string; message: string; hint?: string } | null;
}

export interface ExportJobsOptions {
  warehouse: Warehouse;
  catalog: MetricCatalog;
  /** Where files are written (PULSE_DATA_DIR/exports); emptied on start. */
  directory: string;
  /** Exports running at once; the rest wait in order (the engine serves dashboards meanwhile). */
  maxRunning?: number;
  /** Jobs waiting at most; more are refused with 503 and a hint to retry. */
  maxQueued?: number;
  /** How long a finished file stays downloadable. */
  keepMs?: number;
  now?: () => Date;
}

export interface ExportFile {
  path: string;
  fileName: string;
  contentType: string;
  bytes: number;
}

export interface ExportJobs {
  start(owner: ExportOwner, input: unknown): ExportJobView;
  get(owner: ExportOwner, id: string): ExportJobView;
  file(owner: ExportOwner, id: string): ExportFile;
  /** Stops the query and the renderer, and deletes what was written. */
  cancel(owner: ExportOwner, id: string): ExportJobView;
  close(): Promise<void>;
}

interface Job {
  view: ExportJobView;
  owner: ExportOwner;
  source: ExportSource;
  csvBom: boolean;
  path: string;
  contentType: string;
  abort: AbortController;
  finished: Promise<void>;
  release?: () => void;
}

/**
 * Ad-hoc exports as jobs: `start` validates and compiles at once (a bad request fails the POST),
 * then the export runs in the background with progress, can be cancelled, and its file expires.
 * Jobs live in this process: a restart forgets them, and the files go with the directory sweep.
 */
export function createExportJobs(options: ExportJobsOptions): ExportJobs {
  const { warehouse, catalog, directory } = options;
  const maxRunning = options.maxRunning ?? 2;
  const maxQueued = options.maxQueued ?? 20;
  const keepMs = options.keepMs ?? 3_600_000;
  const now = options.now ?? (() => new Date());
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const jobs = new Map<string, Job>();
  const waiting: (() => void)[] = [];
  let running = 0;
  const expiries = new Set<NodeJS.Timeout>();

  const slot = () =>
    new Promise<() => void>((resolve) => {
      const take = () => {
        running++;
        resolve(() => {
          running--;
          waiting.shift()?.();
        });
      };
      if (running < maxRunning) take();
      else waiting.push(take);
    });

  const find = (owner: ExportOwner, id: string): Job => {
    const job = jobs.get(id);
    if (!job || job.owner.workspaceId !== owner.workspaceId || job.owner.userId !== owner.userId)
      throw new PulseError('EXPORT_NOT_FOUND', `no export ${id}`, {
        hint: 'Exports belong to the user who started them and expire an hour after they finish.',
      });
    return job;
  };

  async function run(job: Job): Promise<void> {
    const { view, abort } = job;
    const release = await slot();
    try {
      if (abort.signal.aborted) return;
      view.state = 'running';
      const generatedAt = now();
      view.totalRows = await countTotal(warehouse, job.source, abort.signal);
      const written = await writeExport({
        warehouse,
        source: job.source,
        format: view.format,
        path: job.path,
        csvBom: job.csvBom,
        signal: abort.signal,
        document: {
          title: view.title,
          period: periodLabel(
            { from: job.source.timeRange.from.toISOString(), to: job.source.timeRange.to.toISOString() },
            job.source.timeRange.timezone,
            generatedAt,
          ),
          generatedAt,
          dataAsOf: await readDataAsOf(warehouse, job.owner.workspaceId, generatedAt),
          filters: job.source.filters,
          timezone: job.source.timeRange.timezone,
        },
        onProgress: (p) => progress(view, p),
      });
      abort.signal.throwIfAborted();
      progress(view, { rowsWritten: written.rows ?? view.totalRows ?? 0, bytesWritten: written.bytes });
      view.totalRows = view.rowsWritten;
      view.percent = 100;
      view.state = 'done';
      job.contentType = written.contentType;
      const expiresAt = new Date(now().getTime() + keepMs);
      view.expiresAt = expiresAt.toISOString();
      const timer = setTimeout(() => forget(job, timer), keepMs);
      timer.unref();
      expiries.add(timer);
    } catch (err) {
      rmSync(job.path, { force: true });
      if (abort.signal.aborted) view.state = 'cancelled';
      else {
        view.state = 'failed';
        view.error =
          err instanceof PulseError
            ? { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) }
            : { code: 'EXPORT_FAILED', message: (err as Error).message };
      }
    } finally {
      view.finishedAt = now().toISOString();
      release();
    }
  }

  function forget(job: Job, timer: NodeJS.Timeout): void {
    expiries.delete(timer);
    jobs.delete(job.view.id);
    rmSync(job.path, { force: true });
  }

  return {
    start(owner, input) {
      const request = parseExportRequest(input);
      const queued = [...jobs.values()].filter((j) => j.view.state === 'queued').length;
      if (queued >= maxQueued)
        throw new PulseError('EXPORTS_UNAVAILABLE', `${queued} exports are already waiting`, {
          retriable: true,
          hint: 'Try again in a minute, or cancel an export you no longer need.',
        });
      const source = resolveExportSource(request, {
        warehouse,
        catalog,
        workspaceId: owner.workspaceId,
        now: now(),
        policy: owner.policy,
      });
      const id = randomUUID();
      const media = exportMedia[request.format];
      const view: ExportJobView = {
        id,
        title: request.title,
        format: request.format,
        state: 'queued',
        rowsWritten: 0,
        bytesWritten: 0,
        totalRows: null,
        percent: null,
        createdAt: now().toISOString(),
        finishedAt: null,
        expiresAt: null,
        fileName: `${fileStem(request.title)}.${media.extension}`,
        error: null,
      };
      const job: Job = {
        view,
        owner: { ...owner },
        source,
        csvBom: request.csvBom,
        path: join(directory, `${id}.${media.extension}`),
        contentType: media.contentType,
        abort: new AbortController(),
        finished: Promise.resolve(),
      };
      jobs.set(id, job);
      job.finished = run(job);
      return { ...view };
    },
    get: (owner, id) => ({ ...find(owner, id).view }),
    file(owner, id) {
      const job = find(owner, id);
      if (job.view.state !== 'done')
        throw new PulseError('EXPORT_STATE_CONFLICT', `export ${id} is ${job.view.state}, not done`, {
          hint:
            job.view.state === 'queued' || job.view.state === 'running'
              ? 'Poll GET /api/v1/exports/:id until state is "done", then download.'
              : 'Start the export again.',
          context: { state: job.view.state },
        });
      return {
        path: job.path,
        fileName: job.view.fileName,
        contentType: job.contentType,
        bytes: job.view.bytesWritten,
      };
    },
    cancel(owner, id) {
      const job = find(owner, id);
      if (job.view.state === 'queued' || job.view.state === 'running') {
        job.abort.abort(new PulseError('EXPORT_CANCELLED', 'the export was cancelled'));
        if (job.view.state === 'queued') job.view.state = 'cancelled';
      }
      return { ...job.view };
    },
    async close() {
      for (const job of jobs.values()) job.abort.abort();
      await Promise.allSettled([...jobs.values()].map((j) => j.finished));
      for (const timer of expiries) clearTimeout(timer);
      jobs.clear();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function progress(view: ExportJobView, p: ExportProgress): void {
  view.rowsWritten = p.rowsWritten;
  view.bytesWritten = p.bytesWritten;
  if (view.totalRows !== null && view.totalRows > 0)
    view.percent = Math.min(99, Math.floor((p.rowsWritten / view.totalRows) * 100));
}

/**
 * Counting first costs one more pass of the query, and buys a real percentage for the
 * progress bar of a large export; a comparison's rows are counted when they are computed.
 */
async function countTotal(
  warehouse: Warehouse,
  source: ExportSource,
  signal: AbortSignal,
): Promise<number | null> {
  if (source.computeRows) return null;
  const result = await warehouse.client.query({
    query: `SELECT count() AS n FROM (${source.statement.sql})`,
    query_params: source.statement.params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0, max_execution_time: 900 },
    abort_signal: signal,
  });
  const [row] = (await result.json()) as { n: number }[];
  return Number(row?.n ?? 0);
}

/** A file name any OS accepts, from the export's title. */
function fileStem(title: string): string {
  const stem = title
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return stem || 'export';
}
