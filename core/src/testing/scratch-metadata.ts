// Test helper: a private metadata store per test file, on a copy of the migrated PGlite template
// that the global setup makes once per run (initialising PGlite takes seconds; copying, milliseconds).
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createMetadataStore, type MetadataStore } from '../metadata/index.ts';

export interface ScratchMetadata {
  store: MetadataStore;
  /** The throwaway database's URL (PostgreSQL only), for another process or role to open. */
  databaseUrl?: string;
  /** Closes the store and removes its files (or leaves the throwaway database). */
  cleanup(): Promise<void>;
}

/** Embedded PGlite (the default) or a fresh database on the run's real PostgreSQL server. */
export async function createScratchMetadata(
  engine: 'pglite' | 'postgres' = 'pglite',
): Promise<ScratchMetadata> {
  if (engine === 'postgres') {
    const name = `meta_${randomUUID().replaceAll('-', '')}`;
    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const databaseUrl = inject('postgresUrl').replace(/\/postgres$/, `/${name}`);
    const store = await createMetadataStore({ databaseUrl, dataPath: '' });
    await store.migrate();
    return { store, databaseUrl, cleanup: () => store.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'pulse-meta-'));
  cpSync(inject('pgliteTemplate'), join(dir, 'data'), { recursive: true });
  const store = await createMetadataStore({ databaseUrl: undefined, dataPath: join(dir, 'data') });
  // The template has the migrations of the run's start; apply any newer ones.
  await store.migrate();
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
