import { createMetadataStore, type MetadataStore } from '@pulse/core';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runStore, scheduledRunId } from './run-store.ts';

// On the real PostgreSQL with a connection pool, where concurrent callers really do overlap
// (PGlite runs one statement at a time, so it cannot show a race).
let meta: ScratchMetadata;
let second: MetadataStore;
let schedule: { id: string; workspaceId: string; reportId: string };

beforeAll(async () => {
  meta = await createScratchMetadata('postgres');
  const ws = await meta.store.workspaces.create({ slug: 'race', name: 'Race' });
  const report = await meta.store.reports.create({ workspaceId: ws.id, title: 'r', definition: {} });
  const s = await meta.store.schedules.create({
    workspaceId: ws.id,
    reportId: report.id,
    cron: '0 8 * * 1',
    formats: ['pdf'],
    nextRunAt: new Date('2026-11-09T08:00:00Z'),
  });
  schedule = { id: s.id, workspaceId: ws.id, reportId: report.id };
  // A second pool on the same database: another scheduler process.
  const [database] = await meta.store.db.query<{ name: string }>('SELECT current_database() AS name');
  second = await createMetadataStore({
    databaseUrl: inject('postgresUrl').replace(/\/postgres$/, `/${database!.name}`),
    dataPath: '',
  });
}, 120_000);

afterAll(async () => {
  await second?.close();
  await meta?.cleanup();
});

describe('run store on PostgreSQL', () => {
  it('gives the leader lease to exactly one of many simultaneous callers', async () => {
    const now = new Date('2026-11-09T08:00:00Z');
    const until = new Date(now.getTime() + 30_000);
    const stores = [runStore(meta.store.db), runStore(second.db)];
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => stores[i % 2]!.acquireLease(`p${i}`, now, until)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = `p${results.indexOf(true)}`;
    expect(await stores[1]!.acquireLease(winner, new Date(now.getTime() + 10_000), until)).toBe(true);
    expect(await stores[0]!.acquireLease('late', new Date(now.getTime() + 20_000), until)).toBe(false);
    expect(await stores[0]!.acquireLease('late', until, new Date(until.getTime() + 30_000))).toBe(true);
  });

  it('records a due run once and lets one caller claim it', async () => {
    const at = new Date('2026-11-09T08:00:00Z');
    const next = new Date('2026-11-16T08:00:00Z');
    const stores = [runStore(meta.store.db), runStore(second.db)];
    const inserted = await Promise.all(
      Array.from({ length: 8 }, (_, i) => stores[i % 2]!.enqueueScheduled(schedule, at, next)),
    );
    expect(inserted.filter(Boolean)).toHaveLength(1);
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        stores[i % 2]!.claim(at, `p${i}`, new Date(at.getTime() + 60_000), {
          runId: scheduledRunId(schedule.id, at),
        }),
      ),
    );
    expect(claims.flat()).toHaveLength(1);
    expect(claims.flat()[0]!.attempts).toBe(1);
    const [row] = await meta.store.db.query<{ next_run_at: Date }>(
      'SELECT next_run_at FROM schedules WHERE id = $1',
      [schedule.id],
    );
    expect(new Date(row!.next_run_at).toISOString()).toBe(next.toISOString());
  });

  it('marks a recipient sent once: a second sender of the same run skips it', async () => {
    const runId = scheduledRunId(schedule.id, new Date('2026-11-09T08:00:00Z'));
    const a = runStore(meta.store.db);
    const b = runStore(second.db);
    expect(await a.beginDelivery(runId, 'email:x@acme.test', 'email')).toBe(true);
    await a.endDelivery(runId, 'email:x@acme.test', { sent: true, at: new Date() });
    expect(await b.beginDelivery(runId, 'email:x@acme.test', 'email')).toBe(false);
    expect(await b.beginDelivery(runId, 'email:y@acme.test', 'email')).toBe(true);
    await b.endDelivery(runId, 'email:y@acme.test', { sent: false, error: 'deferred' });
    expect(await a.beginDelivery(runId, 'email:y@acme.test', 'email')).toBe(true);
    expect((await a.deliveries(runId)).map((d) => [d.recipientKey, d.status, d.attempts])).toEqual([
      ['email:x@acme.test', 'sent', 1],
      ['email:y@acme.test', 'sending', 2],
    ]);
  });
});
