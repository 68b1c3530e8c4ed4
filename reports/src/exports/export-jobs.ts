import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PulseError } from '@pulse/core';
import type { MetricCatalog, Warehouse } from '@pulse/warehouse';
import {
  createMemoryExportJobStore,
  type ExportJobRecord,
  type ExportJobStore,
  type ExportJobView,
  type ExportState,
} from './export-job-store.ts';
import { type ExportFormat, parseExportRequest } from './export-request.ts';
import { type ExportSource, resolveExportSource } from './export-source.ts';
import { executeExport } from './execute-export.ts';
import { exportMedia } from './write-export.ts';

/** A caller's own jobs only: another user of the same workspace sees "not found". */
export interface ExportOwner {
  workspaceId: string;
  userId: string;
  /** The caller's row filters and clearance: an export never holds more than the screen shows. */
  policy?: DataPolicy | undefined;
}

export type { ExportJobView, ExportState };

export interface ExportJobsOptions {
  warehouse: Warehouse;
  catalog: MetricCatalog;
  /** Where files are written (PULSE_DATA_DIR/exports); files no kept job owns are deleted on start. */
  directory: string;
  /** Where jobs outlive the process (`createSqlExportJobStore(metadata.db)`); in memory by default. */
  store?: ExportJobStore;
  /** A job's state could not be saved; the job goes on, and is lost to a restart. */
  onError?: (err: unknown, context: { jobId: string }) => void;
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

export interface ExportPage {
  jobs: ExportJobView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface ExportJobs {
  start(owner: ExportOwner, input: unknown): ExportJobView;
  /** The caller's jobs, newest first. */
  list(owner: ExportOwner, page?: { limit?: number; cursor?: string | undefined }): ExportPage;
  get(owner: ExportOwner, id: string): ExportJobView;
  file(owner: ExportOwner, id: string): ExportFile;
  /** Stops the query and the renderer, and deletes what was written. */
  cancel(owner: ExportOwner, id: string): ExportJobView;
  /** Stops running jobs (they show as interrupted by a restart) and waits for their state to be saved. */
  close(): Promise<void>;
}

/** What a job that a restart stopped says, the one time it says it. */
export const INTERRUPTED = {
  code: 'EXPORT_INTERRUPTED',
  message: 'interrupted by a restart, run it again',
  hint: 'Start the export again; finished exports kept their files.',
} as const;

interface Job {
  view: ExportJobView;
  owner: ExportOwner;
  /** Absent for a job read back after a restart: it is finished, and never runs again. */
  source?: ExportSource;
  csvBom: boolean;
  path: string;
  contentType: string;
  abort: AbortController;
  finished: Promise<void>;
  release?: () => void;
  /** Saves of this job's state, one after the other. */
  saved: Promise<void>;
}

/**
 * Ad-hoc exports as jobs: `start` validates and compiles at once (a bad request fails the POST),
 * then the export runs in the background with progress, can be cancelled, and its file expires.
 * Each state change is saved in `store`: after a restart the list and the finished files are
 * still there, and a job that was queued or running shows as failed, "interrupted by a restart".
 * Jobs run in the process that started them (a second web process does not see them running).
 */
export async function createExportJobs(options: ExportJobsOptions): Promise<ExportJobs> {
  const { warehouse, catalog, directory } = options;
  const store = options.store ?? createMemoryExportJobStore();
  const maxRunning = options.maxRunning ?? 2;
  const maxQueued = options.maxQueued ?? 20;
  const keepMs = options.keepMs ?? 3_600_000;
  const now = options.now ?? (() => new Date());
  mkdirSync(directory, { recursive: true });
  const jobs = new Map<string, Job>();
  const waiting: (() => void)[] = [];
  let running = 0;
  let closing = false;
  const expiries = new Set<NodeJS.Timeout>();
  const pathOf = (id: string, format: ExportFormat) =>
    join(directory, `${id}.${exportMedia[format].extension}`);

  const persist = (job: Job) => {
    const record: ExportJobRecord = {
      view: { ...job.view },
      workspaceId: job.owner.workspaceId,
      userId: job.owner.userId,
      contentType: job.contentType,
    };
    job.saved = job.saved
      .then(() => store.save(record))
      .catch((err) => options.onError?.(err, { jobId: job.view.id }));
  };
  const expireLater = (job: Job) => {
    const ms = Math.max(0, Date.parse(job.view.expiresAt!) - now().getTime());
    const timer = setTimeout(() => forget(job, timer), ms);
    timer.unref();
    expiries.add(timer);
  };

  // Jobs of an earlier process: finished ones come back with their files until they expire;
  // queued or running ones stopped with that process.
  const kept = new Set<string>();
  for (const record of await store.all()) {
    const { view } = record;
    const job: Job = {
      view,
      owner: { workspaceId: record.workspaceId, userId: record.userId },
      csvBom: false,
      path: pathOf(view.id, view.format),
      contentType: record.contentType,
      abort: new AbortController(),
      finished: Promise.resolve(),
      saved: Promise.resolve(),
    };
    const expired = view.expiresAt !== null && Date.parse(view.expiresAt) <= now().getTime();
    if (expired || (view.state !== 'done' && now().getTime() - Date.parse(view.createdAt) > keepMs)) {
      await store.remove(view.id);
      continue;
    }
    if (view.state === 'queued' || view.state === 'running') {
      Object.assign(view, {
        state: 'failed',
        error: { ...INTERRUPTED },
        percent: null,
        finishedAt: now().toISOString(),
      });
      persist(job);
    }
    jobs.set(view.id, job);
    if (view.state === 'done') {
      kept.add(job.path);
      expireLater(job);
    }
  }
  // Partial files of interrupted jobs, and files of jobs no longer kept.
  for (const name of readdirSync(directory))
    if (!kept.has(join(directory, name))) rmSync(join(directory, name), { recursive: true, force: true });

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
    const source = job.source!;
    const release = await slot();
    try {
      if (abort.signal.aborted) {
        if (closing) Object.assign(view, { state: 'failed', error: { ...INTERRUPTED } });
        return;
      }
      view.state = 'running';
      persist(job);
      const written = await executeExport({
        warehouse,
        source,
        view,
        workspaceId: job.owner.workspaceId,
        path: job.path,
        csvBom: job.csvBom,
        signal: abort.signal,
        generatedAt: now(),
      });
      view.state = 'done';
      job.contentType = written.contentType;
      view.expiresAt = new Date(now().getTime() + keepMs).toISOString();
      expireLater(job);
    } catch (err) {
      rmSync(job.path, { force: true });
      if (abort.signal.aborted && closing) {
        view.state = 'failed';
        view.error = { ...INTERRUPTED };
      } else if (abort.signal.aborted) view.state = 'cancelled';
      else {
        view.state = 'failed';
        view.error =
          err instanceof PulseError
            ? { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) }
            : { code: 'EXPORT_FAILED', message: (err as Error).message };
      }
    } finally {
      view.finishedAt = now().toISOString();
      persist(job);
      release();
    }
  }

  function forget(job: Job, timer: NodeJS.Timeout): void {
    expiries.delete(timer);
    jobs.delete(job.view.id);
    rmSync(job.path, { force: true });
    job.saved = job.saved
      .then(() => store.remove(job.view.id))
      .catch((err) => options.onError?.(err, { jobId: job.view.id }));
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
        path: pathOf(id, request.format),
        contentType: media.contentType,
        abort: new AbortController(),
        finished: Promise.resolve(),
        saved: Promise.resolve(),
      };
      jobs.set(id, job);
      persist(job);
      job.finished = run(job);
      return { ...view };
    },
    list(owner, page = {}) {
      const limit = Math.min(Math.max(page.limit ?? 50, 1), 200);
      const mine = [...jobs.values()]
        .filter((j) => j.owner.workspaceId === owner.workspaceId && j.owner.userId === owner.userId)
        .map((j) => j.view)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
      const from = page.cursor ? mine.findIndex((v) => cursorOf(v) < page.cursor!) : 0;
      const slice = from === -1 ? [] : mine.slice(from, from + limit);
      const more = from !== -1 && from + limit < mine.length;
      return { jobs: slice.map((v) => ({ ...v })), nextCursor: more ? cursorOf(slice.at(-1)!) : null };
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
        if (job.view.state === 'queued') {
          job.view.state = 'cancelled';
          persist(job);
        }
      }
      return { ...job.view };
    },
    async close() {
      closing = true;
      for (const job of jobs.values()) job.abort.abort();
      await Promise.allSettled([...jobs.values()].map((j) => j.finished));
      await Promise.allSettled([...jobs.values()].map((j) => j.saved));
      for (const timer of expiries) clearTimeout(timer);
      jobs.clear();
    },
  };
}

/** Newest first: a cursor sorts below every job after it in the list. */
const cursorOf = (view: ExportJobView) => `${view.createdAt}|${view.id}`;

/** A file name any OS accepts, from the export's title. */
function fileStem(title: string): string {
  const stem = title
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return stem || 'export';
}
