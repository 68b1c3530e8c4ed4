import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One versioned SQL file: `NNNN_name.sql`, append-only, identified by its checksum once applied. */
export interface SqlMigration {
  version: number;
  name: string;
  file: string;
  checksum: string;
  sql: string;
}

/**
 * Reads a folder of migrations in version order (the warehouse's and the metadata store's alike),
 * refusing misnamed files and gaps in the sequence.
 */
export function loadSqlMigrations(dir: string): SqlMigration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = file.match(/^(\d{4})_([\w-]+)\.sql$/);
      if (!match) throw new Error(`migration ${file} in ${dir} must be named NNNN_name.sql`);
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(match[1]),
        name: match[2]!,
        file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
  for (const [i, m] of migrations.entries()) {
    if (m.version !== i + 1)
      throw new Error(`migration ${m.file} is out of sequence: expected version ${i + 1}`);
  }
  return migrations;
}
