// Vitest global setup: the servers and templates every suite shares, started once per run.
// - a real PostgreSQL server on loopback (the metadata suite runs on it as well as on PGlite);
// - a PGlite data directory with the metadata migrations applied, which tests copy (initialising
//   PGlite takes over 10 s here; copying a template takes milliseconds).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrateMetadata, openPglite } from '../core/src/metadata/index.ts';
import { startPostgres } from '../infra/src/postgres/start-postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    pgliteTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [postgres, pgliteTemplate] = await Promise.all([startPostgres(), makePgliteTemplate()]);
  project.provide('postgresUrl', postgres.url);
  project.provide('pgliteTemplate', pgliteTemplate);
  return async () => {
    await postgres.stop();
    rmSync(pgliteTemplate, { recursive: true, force: true });
  };
}

async function makePgliteTemplate(): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'pulse-pglite-template-')), 'data');
  const db = await openPglite(dir);
  await migrateMetadata(db);
  await db.close();
  return dir;
}
