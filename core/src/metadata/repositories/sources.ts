import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SqlDriver } from '../sql-driver.ts';
import { iso, translateConflict } from './conflict.ts';

export type SourceFamily = 'product' | 'social' | 'crm';
export interface Source {
  id: string;
  workspaceId: string;
  family: SourceFamily;
  provider: string;
  name: string;
  createdAt: string;
}
export interface WriteKeyInfo {
  id: string;
  sourceId: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
type Row = {
  id: string;
  workspace_id: string;
  family: SourceFamily;
  provider: string;
  name: string;
  created_at: unknown;
};
const toSource = (r: Row): Source => ({
  id: r.id,
  workspaceId: r.workspace_id,
  family: r.family,
  provider: r.provider,
  name: r.name,
  createdAt: iso(r.created_at),
});

const hashKey = (plain: string) => createHash('sha256').update(plain).digest('hex');

export function sourcesRepository(db: SqlDriver) {
  return {
    async create(input: {
      workspaceId: string;
      family: SourceFamily;
      provider: string;
      name: string;
    }): Promise<Source> {
      const rows = await translateConflict(
        `source "${input.name}"`,
        'Source names are unique per workspace.',
        () =>
          db.query<Row>(
            'INSERT INTO sources (id, workspace_id, family, provider, name) VALUES ($1, $2, $3, $4, $5) RETURNING *',
            [randomUUID(), input.workspaceId, input.family, input.provider, input.name],
          ),
      );
      return toSource(rows[0]!);
    },
    async list(workspaceId: string): Promise<Source[]> {
      return (
        await db.query<Row>('SELECT * FROM sources WHERE workspace_id = $1 ORDER BY created_at, id', [
          workspaceId,
        ])
      ).map(toSource);
    },
    /** Creates a write key; the plaintext is returned once and only its hash is stored. */
    async createWriteKey(sourceId: string): Promise<{ key: string; info: WriteKeyInfo }> {
      const key = `pk_${randomBytes(24).toString('base64url')}`;
      const [row] = await db.query<{ id: string; created_at: unknown }>(
        'INSERT INTO write_keys (id, source_id, key_hash, key_prefix) VALUES ($1, $2, $3, $4) RETURNING id, created_at',
        [randomUUID(), sourceId, hashKey(key), key.slice(0, 7)],
      );
      return {
        key,
        info: {
          id: row!.id,
          sourceId,
          prefix: key.slice(0, 7),
          createdAt: iso(row!.created_at),
          lastUsedAt: null,
          revokedAt: null,
        },
      };
    },
    /** The source a live (not revoked) write key belongs to; records when the key was last used. */
    async findByWriteKey(plain: string): Promise<Source | undefined> {
      const [row] = await db.query<Row & { key_id: string }>(
        'SELECT s.*, k.id AS key_id FROM write_keys k JOIN sources s ON s.id = k.source_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL',
        [hashKey(plain)],
      );
      if (!row) return undefined;
      await db.query('UPDATE write_keys SET last_used_at = now() WHERE id = $1', [row.key_id]);
      return toSource(row);
    },
    async writeKeys(sourceId: string): Promise<WriteKeyInfo[]> {
      const rows = await db.query<{
        id: string;
        source_id: string;
        key_prefix: string;
        created_at: unknown;
        last_used_at: unknown;
        revoked_at: unknown;
      }>('SELECT * FROM write_keys WHERE source_id = $1 ORDER BY created_at', [sourceId]);
      return rows.map((r) => ({
        id: r.id,
        sourceId: r.source_id,
        prefix: r.key_prefix,
        createdAt: iso(r.created_at),
        lastUsedAt: r.last_used_at ? iso(r.last_used_at) : null,
        revokedAt: r.revoked_at ? iso(r.revoked_at) : null,
      }));
    },
    async revokeWriteKey(keyId: string): Promise<boolean> {
      const rows = await db.query(
        'UPDATE write_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id',
        [keyId],
      );
      return rows.length === 1;
    },
  };
}
