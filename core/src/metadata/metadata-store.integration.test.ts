import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isPulseError } from '../errors/index.ts';
import {
  createMetadataStore,
  ensureDemoWorkspace,
  loadMetadataMigrations,
  type MetadataStore,
  metadataMigrationsDir,
  migrateMetadata,
} from './index.ts';

/** The same suite on embedded PGlite and on a real PostgreSQL server. */
const engines = {
  async pglite(): Promise<{ store: MetadataStore; cleanup(): void }> {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-meta-'));
    cpSync(inject('pgliteTemplate'), join(dir, 'data'), { recursive: true });
    return {
      store: await createMetadataStore({ databaseUrl: undefined, dataPath: join(dir, 'data') }),
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  async postgres(): Promise<{ store: MetadataStore; cleanup(): void }> {
    const name = `meta_${randomUUID().replaceAll('-', '')}`;
    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    return {
      store: await createMetadataStore({
        databaseUrl: inject('postgresUrl').replace(/\/postgres$/, `/${name}`),
        dataPath: '',
      }),
      cleanup: () => {},
    };
  },
};

describe.each(Object.keys(engines) as (keyof typeof engines)[])('metadata store on %s', (engine) => {
  let store: MetadataStore;
  let cleanup: () => void;

  beforeAll(async () => {
    ({ store, cleanup } = await engines[engine]());
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    cleanup();
  });

  it('reports the engine, answers a ping and has applied every migration', async () => {
    expect(store.engine).toBe(engine);
    expect(await store.ping()).toBe(true);
    expect((await store.migrationStatus()).every((m) => m.appliedAt !== null)).toBe(true);
  });

  it('applies nothing on a second migrate', async () => {
    expect(await store.migrate()).toEqual([]);
  });

  it('refuses a migration that changed after it was applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-meta-migrations-'));
    cpSync(metadataMigrationsDir, dir, { recursive: true });
    const [first] = loadMetadataMigrations(dir);
    writeFileSync(join(dir, first!.file), `${first!.sql}\n-- edited`);
    await expect(migrateMetadata(store.db, dir)).rejects.toMatchObject({
      code: 'MIGRATION_CHECKSUM_MISMATCH',
      message: expect.stringContaining(first!.file),
    });
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates workspaces and refuses a duplicate slug with a conflict', async () => {
    const ws = await store.workspaces.create({ slug: 'acme', name: 'Acme' });
    expect(await store.workspaces.getBySlug('acme')).toEqual(ws);
    const err = await store.workspaces.create({ slug: 'acme', name: 'Again' }).catch((e: unknown) => e);
    expect(isPulseError(err, 'METADATA_CONFLICT')).toBe(true);
    await expect(store.workspaces.create({ slug: 'Not A Slug!', name: 'x' })).rejects.toMatchObject({
      code: 'METADATA_INVALID',
    });
  });

  it('treats e-mail addresses case-insensitively and records memberships', async () => {
    const user = await store.users.create({ email: 'Ada@Example.com', displayName: 'Ada' });
    expect((await store.users.getByEmail('ada@example.com'))?.id).toBe(user.id);
    await expect(store.users.create({ email: 'ADA@example.com' })).rejects.toMatchObject({
      code: 'METADATA_CONFLICT',
    });
    const ws = (await store.workspaces.getBySlug('acme'))!;
    await store.users.setRole(ws.id, user.id, 'analyst');
    await store.users.setRole(ws.id, user.id, 'admin');
    expect(await store.users.memberships(user.id)).toEqual([
      { workspaceId: ws.id, userId: user.id, role: 'admin' },
    ]);
  });

  it('stores write keys hashed, finds their source, and forgets revoked keys', async () => {
    const ws = (await store.workspaces.getBySlug('acme'))!;
    const source = await store.sources.create({
      workspaceId: ws.id,
      family: 'product',
      provider: 'segment',
      name: 'Web app',
    });
    const { key, info } = await store.sources.createWriteKey(source.id);
    expect(key).toMatch(/^pk_[\w-]{32}$/);
    const stored = await store.db.query<{ key_hash: string }>(
      'SELECT key_hash FROM write_keys WHERE id = $1',
      [info.id],
    );
    expect(stored[0]!.key_hash).not.toContain(key.slice(3));
    expect((await store.sources.findByWriteKey(key))?.id).toBe(source.id);
    expect((await store.sources.writeKeys(source.id))[0]!.lastUsedAt).not.toBeNull();
    expect(await store.sources.findByWriteKey(`${key}x`)).toBeUndefined();
    expect(await store.sources.revokeWriteKey(info.id)).toBe(true);
    expect(await store.sources.findByWriteKey(key)).toBeUndefined();
  });

  it('versions dashboards and refuses a stale update', async () => {
    const ws = (await store.workspaces.getBySlug('acme'))!;
    const d = await store.dashboards.create({
      workspaceId: ws.id,
      slug: 'exec',
      title: 'Executive',
      definition: { tiles: [] },
    });
    expect(d.version).toBe(1);
    const updated = await store.dashboards.update(d.id, {
      definition: { tiles: [{ metric: 'impressions' }] },
      expectedVersion: 1,
    });
    expect(updated).toMatchObject({
      version: 2,
      title: 'Executive',
      definition: { tiles: [{ metric: 'impressions' }] },
    });
    await expect(store.dashboards.update(d.id, { title: 'Stale', expectedVersion: 1 })).rejects.toMatchObject(
      { code: 'METADATA_CONFLICT' },
    );
    await expect(
      store.dashboards.create({ workspaceId: ws.id, slug: 'exec', title: 'Dup', definition: {} }),
    ).rejects.toMatchObject({ code: 'METADATA_CONFLICT' });
    expect(await store.dashboards.delete(d.id)).toBe(true);
    expect(await store.dashboards.get(d.id)).toBeUndefined();
  });

  it('pages through lists with a cursor', async () => {
    const ws = await store.workspaces.create({ slug: 'paging', name: 'Paging' });
    for (let i = 0; i < 7; i++)
      await store.reports.create({ workspaceId: ws.id, title: `Report ${i}`, definition: { i } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.reports.list(ws.id, { limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((r) => r.title));
      cursor = page.nextCursor;
    } while (cursor);
    // Every report exactly once; rows created in the same millisecond are ordered by id.
    expect(seen).toHaveLength(7);
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `Report ${i}`));
    await expect(store.reports.list(ws.id, { cursor: 'garbage' })).rejects.toMatchObject({
      code: 'INVALID_CURSOR',
    });
  });

  it('keeps schedules and lists the due ones', async () => {
    const ws = (await store.workspaces.getBySlug('paging'))!;
    const report = (await store.reports.list(ws.id)).items[0]!;
    const s = await store.schedules.create({
      workspaceId: ws.id,
      reportId: report.id,
      cron: '0 8 * * 1',
      timezone: 'Europe/Berlin',
      formats: ['pdf', 'xlsx'],
      recipients: [{ email: 'ceo@example.com' }],
      nextRunAt: new Date('2026-11-30T07:00:00Z'),
    });
    expect(s).toMatchObject({
      formats: ['pdf', 'xlsx'],
      recipients: [{ email: 'ceo@example.com' }],
      enabled: true,
    });
    expect((await store.schedules.due(new Date('2026-11-30T07:00:00Z'))).map((x) => x.id)).toEqual([s.id]);
    await store.schedules.setEnabled(s.id, false);
    expect(await store.schedules.due(new Date('2026-12-30T07:00:00Z'))).toEqual([]);
  });

  it('creates the demo workspace once, with a write key per family', async () => {
    const first = await ensureDemoWorkspace(store);
    expect(first.workspace).toMatchObject({ slug: 'demo', isDemo: true });
    expect(Object.keys(first.writeKeys).sort()).toEqual(['crm', 'product', 'social']);
    const second = await ensureDemoWorkspace(store);
    expect(second.workspace.id).toBe(first.workspace.id);
    expect(second.writeKeys).toEqual({});
    expect((await store.sources.findByWriteKey(first.writeKeys.crm!))?.family).toBe('crm');
  });
});
