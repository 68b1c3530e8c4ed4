import { randomUUID } from 'node:crypto';
import { PulseError } from '../errors/index.ts';
import type { SqlDriver } from '../metadata/index.ts';
import { iso } from '../metadata/repositories/conflict.ts';
import { randomToken, sha256Hex } from './digest.ts';

/** Every API key starts with this, so secret scanners and people can recognise one. */
export const apiKeyPrefix = 'pulse_sk_';

export interface ApiKeyInfo {
  id: string;
  workspaceId: string;
  userId: string;
  name: string;
  role: string;
  keyPrefix: string;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
export interface ApiKeyCaller {
  apiKeyId: string;
  userId: string;
  email: string;
  workspaceId: string;
  role: string;
}

type Row = {
  id: string;
  workspace_id: string;
  user_id: string;
  name: string;
  role: string;
  key_prefix: string;
  created_by: string | null;
  created_at: unknown;
  expires_at: unknown;
  last_used_at: unknown;
  revoked_at: unknown;
};
const toInfo = (r: Row): ApiKeyInfo => ({
  id: r.id,
  workspaceId: r.workspace_id,
  userId: r.user_id,
  name: r.name,
  role: r.role,
  keyPrefix: r.key_prefix,
  createdBy: r.created_by,
  createdAt: iso(r.created_at),
  expiresAt: r.expires_at ? iso(r.expires_at) : null,
  lastUsedAt: r.last_used_at ? iso(r.last_used_at) : null,
  revokedAt: r.revoked_at ? iso(r.revoked_at) : null,
});

export interface ApiKeyServiceOptions {
  now?: () => Date;
  /** last_used_at is written at most this often per key, so busy keys do not write on every call. */
  lastUsedResolutionMs?: number;
}

/**
 * API keys for scripts and BI connectors. A key acts as a user — usually a service account
 * created with it — in one workspace with one role; it is shown once and stored as a SHA-256
 * hash (32 random bytes: a slow hash adds nothing, and every API call looks one up).
 */
export function createApiKeyService(db: SqlDriver, opts: ApiKeyServiceOptions = {}) {
  const now = opts.now ?? (() => new Date());
  const resolution = opts.lastUsedResolutionMs ?? 60_000;
  return {
    async create(input: {
      workspaceId: string;
      name: string;
      role: string;
      createdBy: string | null;
      expiresAt?: Date | null;
      /** Act as this user; default: a new service account named after the key. */
      userId?: string;
    }): Promise<{ key: string; info: ApiKeyInfo }> {
      if (input.expiresAt && input.expiresAt <= now())
        throw new PulseError('API_KEY_INVALID', 'the expiry date is in the past', {
          hint: 'Give a future date, or none for a key that does not expire.',
        });
      const key = `${apiKeyPrefix}${randomToken(32)}`;
      return db.transaction(async (tx) => {
        let userId = input.userId;
        if (!userId) {
          userId = randomUUID();
          await tx.query(
            `INSERT INTO users (id, email, display_name, status, kind) VALUES ($1, $2, $3, 'active', 'service')`,
            [userId, `${userId}@service-accounts.pulse.invalid`, input.name],
          );
          await tx.query('INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, $3)', [
            input.workspaceId,
            userId,
            input.role,
          ]);
        }
        const [row] = await tx.query<Row>(
          `INSERT INTO api_keys (id, workspace_id, user_id, name, role, key_hash, key_prefix, created_by, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
          [
            randomUUID(),
            input.workspaceId,
            userId,
            input.name,
            input.role,
            sha256Hex(key),
            key.slice(0, apiKeyPrefix.length + 6),
            input.createdBy,
            input.expiresAt ?? null,
          ],
        );
        return { key, info: toInfo(row!) };
      });
    },

    /** The caller behind a presented key, or undefined for an unknown, revoked or expired one. */
    async authenticate(key: string): Promise<ApiKeyCaller | undefined> {
      if (!key.startsWith(apiKeyPrefix)) return undefined;
      const [row] = await db.query<Row & { email: string; status: string }>(
        `SELECT k.*, u.email, u.status FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1`,
        [sha256Hex(key)],
      );
      const t = now();
      if (!row || row.revoked_at || row.status !== 'active') return undefined;
      if (row.expires_at && new Date(row.expires_at as string) <= t) return undefined;
      const last = row.last_used_at ? new Date(row.last_used_at as string).getTime() : 0;
      if (t.getTime() - last >= resolution)
        await db.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [row.id, t]);
      return {
        apiKeyId: row.id,
        userId: row.user_id,
        email: row.email,
        workspaceId: row.workspace_id,
        role: row.role,
      };
    },

    async list(workspaceId: string, options: { includeRevoked?: boolean } = {}): Promise<ApiKeyInfo[]> {
      const rows = await db.query<Row>(
        `SELECT * FROM api_keys WHERE workspace_id = $1 ${options.includeRevoked ? '' : 'AND revoked_at IS NULL'}
         ORDER BY created_at DESC`,
        [workspaceId],
      );
      return rows.map(toInfo);
    },

    async revoke(workspaceId: string, id: string): Promise<ApiKeyInfo | undefined> {
      const [row] = await db.query<Row>(
        'UPDATE api_keys SET revoked_at = $3 WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING *',
        [workspaceId, id, now()],
      );
      return row && toInfo(row);
    },
  };
}
export type ApiKeyService = ReturnType<typeof createApiKeyService>;
