import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PulseEvent } from '@pulse/core';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { loadMetricCatalog } from '@pulse/models';
import { insertEvents } from '@pulse/warehouse';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlExportJobStore } from './export-job-store.ts';
import { createExportJobs, type ExportJobs, type ExportJobView, type ExportOwner } from './export-jobs.ts';

const workspace = 'ws_restart';
const owner: ExportOwner = { workspaceId: workspace, userId: 'u_restart' };
let scratch: ScratchWarehouse;
let meta: ScratchMetadata;
let root: string;

const query = (limit: number) => ({
  metrics: ['product_events'],
  dimensions: ['user_id'],
  grain: 'hour' as const,
  timeRange: { from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' },
  orderBy: [{ field: 'user_id', direction: 'asc' as const }],
  limit,
});

const open = (keepMs?: number) =>
  createExportJobs({
    warehouse: scratch.warehouse,
    catalog: loadMetricCatalog().metrics,
    directory: join(root, 'exports'),
    store: createSqlExportJobStore(meta.store.db),
    maxRunning: 1,
    ...(keepMs ? { keepMs } : {}),
  });

async function settle(jobs: ExportJobs, id: string): Promise<ExportJobView> {
  for (;;) {
    const view = jobs.get(owner, id);
    if (view.state !== 'queued' && view.state !== 'running') return view;
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  [scratch, meta] = await Promise.all([createScratchWarehouse(), createScratchMetadata()]);
  const events: PulseEvent[] = [];
  for (let h = 0; h < 10; h++)
    for (let u = 0; u < 2000; u++)
      events.push({
        family: 'product',
        type: 'track',
        eventId: `r-${h}-${u}`,
        workspaceId: workspace,
        schemaVersion: 1,
        timestamp: new Date(Date.parse('2026-03-02T00:00:00Z') + h * 3_600_000 + u).toISOString(),
        userId: `user-${String(u).padStart(5, '0')}`,
        event: 'Opened',
      } as PulseEvent);
  await insertEvents(scratch.warehouse, events, { dedupToken: 'restart-fixture' });
  root = mkdtempSync(join(tmpdir(), 'pulse-export-restart-'));
}, 120_000);

afterAll(async () => {
  await scratch?.cleanup();
  await meta?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

describe('export jobs across a restart', () => {
  it('keeps the list and finished files, and shows a job cut short as interrupted', async () => {
    const first = await open();
    const done = first.start(owner, { title: 'Kept', format: 'csv', query: query(100) });
    expect((await settle(first, done.id)).state).toBe('done');
    const bytes = readFileSync(first.file(owner, done.id).path);
    const cut = first.start(owner, {
      title: 'Cut short',
      format: 'xlsx',
      query: query(10_000),
      rowLimit: 20_000,
    });
    while (first.get(owner, cut.id).rowsWritten === 0) await new Promise((r) => setTimeout(r, 5));
    await first.close();

    const second = await open();
    const list = second.list(owner).jobs;
    expect(list.map((j) => [j.title, j.state])).toEqual([
      ['Cut short', 'failed'],
      ['Kept', 'done'],
    ]);
    expect(list[0]!.error).toMatchObject({
      code: 'EXPORT_INTERRUPTED',
      message: 'interrupted by a restart, run it again',
    });
    expect(existsSync(join(root, 'exports', `${cut.id}.xlsx`))).toBe(false);
    expect(readFileSync(second.file(owner, done.id).path).equals(bytes)).toBe(true);
    expect(second.get(owner, done.id)).toMatchObject({
      state: 'done',
      rowsWritten: 100,
      expiresAt: list[1]!.expiresAt,
    });
    await second.close();
  });

  it('marks a job a crashed process left running as interrupted, and deletes its partial file', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    await createSqlExportJobStore(meta.store.db).save({
      workspaceId: workspace,
      userId: owner.userId,
      contentType: 'text/csv; charset=utf-8',
      view: {
        id,
        title: 'Crashed',
        format: 'csv',
        state: 'running',
        rowsWritten: 5000,
        bytesWritten: 12_345,
        totalRows: 20_000,
        percent: 25,
        createdAt: new Date().toISOString(),
        finishedAt: null,
        expiresAt: null,
        fileName: 'Crashed.csv',
        error: null,
      },
    });
    writeFileSync(join(root, 'exports', `${id}.csv`), 'partial');
    writeFileSync(join(root, 'exports', 'stray.tmp'), 'nobody owns this');
    const jobs = await open();
    expect(jobs.get(owner, id)).toMatchObject({ state: 'failed', error: { code: 'EXPORT_INTERRUPTED' } });
    expect(() => jobs.file(owner, id)).toThrow(/failed, not done/);
    expect(existsSync(join(root, 'exports', `${id}.csv`))).toBe(false);
    expect(existsSync(join(root, 'exports', 'stray.tmp'))).toBe(false);
    await jobs.close();
    const [row] = await meta.store.db.query<{ state: string }>(
      'SELECT state FROM export_jobs WHERE id = $1',
      [id],
    );
    expect(row?.state).toBe('failed');
  });

  it('pages the list newest first with a cursor', async () => {
    const jobs = await open();
    for (let i = 0; i < 3; i++) {
      const job = jobs.start(owner, { title: `Page ${i}`, format: 'csv', query: query(5) });
      await settle(jobs, job.id);
      await new Promise((r) => setTimeout(r, 5));
    }
    const all = jobs.list(owner, { limit: 200 }).jobs;
    const first = jobs.list(owner, { limit: 2 });
    expect(first.jobs.map((j) => j.id)).toEqual(all.slice(0, 2).map((j) => j.id));
    const second = jobs.list(owner, { limit: 2, cursor: first.nextCursor! });
    expect(second.jobs.map((j) => j.id)).toEqual(all.slice(2, 4).map((j) => j.id));
    expect(jobs.list({ workspaceId: workspace, userId: 'u_other' }).jobs).toEqual([]);
    await jobs.close();
  });

  it('forgets expired jobs and their files at start', async () => {
    const jobs = await open(50);
    const job = jobs.start(owner, { title: 'Short-lived', format: 'csv', query: query(5) });
    await settle(jobs, job.id);
    await jobs.close();
    await new Promise((r) => setTimeout(r, 80));
    const again = await open(50);
    expect(() => again.get(owner, job.id)).toThrow(expect.objectContaining({ code: 'EXPORT_NOT_FOUND' }));
    expect(existsSync(join(root, 'exports', `${job.id}.csv`))).toBe(false);
    await again.close();
  });
});
