import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { deriveKey, open, seal } from '../auth/secret-box.ts';
import { PulseError } from '../errors/index.ts';
import { iso, translateConflict } from '../metadata/repositories/conflict.ts';
import type { SqlDriver } from '../metadata/sql-driver.ts';

/** What a connector needs to call a platform or CRM: OAuth tokens, API keys, client secrets. */
export const credentialValues = z
  .record(z.string().min(1).max(100), z.string().max(16_384))
  .refine((v) => Object.keys(v).length > 0, 'at least one value');
export type CredentialValues = z.output<typeof credentialValues>;

/** A stored credential as lists and logs may show it: never the values. */
export interface CredentialInfo {
  id: string;
  workspaceId: string;
  sourceId: string | null;
  name: string;
  keyId: string;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectorCredentialsOptions {
  /** PULSE_SECRET_KEY: new values are sealed under a key derived from it. */
  secretKey: string;
  /** PULSE_SECRET_KEY_PREVIOUS: still opened, until `rotate()` has re-sealed everything. */
  previousSecretKeys?: readonly string[];
}

const purpose = 'connector-credentials';

interface SealKey {
  id: string;
  key: Buffer;
}
/** The key id is a hash of the derived key: it names a key without revealing it. */
function sealKey(secret: string): SealKey {
  const key = deriveKey(secret, purpose);
  return { id: createHash('sha256').update('pulse-key-id:').update(key).digest('hex').slice(0, 16), key };
}

type Row = {
  id: string;
  workspace_id: string;
  source_id: string | null;
  name: string;
  sealed: string;
  key_id: string;
  created_at: unknown;
  updated_at: unknown;
};
const toInfo = (r: Row): CredentialInfo => ({
  id: r.id,
  workspaceId: r.workspace_id,
  sourceId: r.source_id,
  name: r.name,
  keyId: r.key_id,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

/**
 * Connector credentials sealed with AES-256-GCM (core/src/auth/secret-box.ts). Each row records
 * which key sealed it, so opening never guesses and rotation knows what is left to do. Errors name
 * the credential by id and name only; the values never appear in an error, a log line or a list.
 */
export function connectorCredentials(db: SqlDriver, options: ConnectorCredentialsOptions) {
  const current = sealKey(options.secretKey);
  const keys = new Map<string, SealKey>([[current.id, current]]);
  for (const previous of options.previousSecretKeys ?? []) {
    const k = sealKey(previous);
    if (!keys.has(k.id)) keys.set(k.id, k);
  }

  const openRow = (row: Row): CredentialValues => {
    const key = keys.get(row.key_id);
    if (!key)
      throw new PulseError(
        'SECRETS_KEY_UNAVAILABLE',
        `credential "${row.name}" (${row.id}) was sealed with key ${row.key_id}, which is not configured`,
        {
          context: { credentialId: row.id, keyId: row.key_id },
          hint: 'Put the server secret it was sealed with into PULSE_SECRET_KEY_PREVIOUS, then run `pulse secrets rotate`.',
        },
      );
    return JSON.parse(open(key.key, row.sealed)) as CredentialValues;
  };

  return {
    /** Creates or replaces the credential `name` of a workspace. */
    async put(input: {
      workspaceId: string;
      sourceId?: string | null;
      name: string;
      values: CredentialValues;
    }): Promise<CredentialInfo> {
      const parsed = credentialValues.safeParse(input.values);
      if (!parsed.success)
        // The message lists the problem, not the values.
        throw new PulseError('SECRETS_VALUES_INVALID', 'credential values must be an object of strings', {
          hint: 'Send {"apiKey": "…"} or similar: at least one name with a string value.',
          context: {
            issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
          },
        });
      const sealed = seal(current.key, JSON.stringify(parsed.data));
      const rows = await translateConflict(
        `credential "${input.name}"`,
        'Credential names are unique per workspace.',
        () =>
          db.query<Row>(
            `INSERT INTO connector_credentials (id, workspace_id, source_id, name, sealed, key_id)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (workspace_id, name) DO UPDATE SET sealed = EXCLUDED.sealed, key_id = EXCLUDED.key_id,
               source_id = EXCLUDED.source_id, updated_at = date_trunc('milliseconds', clock_timestamp())
             RETURNING *`,
            [randomUUID(), input.workspaceId, input.sourceId ?? null, input.name, sealed, current.id],
          ),
      );
      return toInfo(rows[0]!);
    },

    async get(workspaceId: string, name: string): Promise<CredentialValues> {
      const [row] = await db.query<Row>(
        'SELECT * FROM connector_credentials WHERE workspace_id = $1 AND name = $2',
        [workspaceId, name],
      );
      if (!row)
        throw new PulseError('SECRETS_CREDENTIAL_NOT_FOUND', `no credential "${name}" in this workspace`, {
          hint: 'Store it first (sources settings, or the connector setup).',
        });
      return openRow(row);
    },

    async list(workspaceId: string): Promise<CredentialInfo[]> {
      return (
        await db.query<Row>('SELECT * FROM connector_credentials WHERE workspace_id = $1 ORDER BY name', [
          workspaceId,
        ])
      ).map(toInfo);
    },

    async remove(workspaceId: string, name: string): Promise<boolean> {
      const rows = await db.query(
        'DELETE FROM connector_credentials WHERE workspace_id = $1 AND name = $2 RETURNING id',
        [workspaceId, name],
      );
      return rows.length > 0;
    },

    /**
     * Re-seals every credential not under the current key. Each row is opened and re-sealed in its
     * own statement guarded by its old key id, so a rotation that stops half-way (or runs twice at
     * once) leaves every row readable, and running it again finishes the job. Afterwards the
     * previous secrets are no longer needed.
     */
    async rotate(): Promise<{ rotated: number; alreadyCurrent: number }> {
      const stale = await db.query<Row>(
        'SELECT * FROM connector_credentials WHERE key_id <> $1 ORDER BY id',
        [current.id],
      );
      let rotated = 0;
      for (const row of stale) {
        const resealed = seal(current.key, JSON.stringify(openRow(row)));
        const updated = await db.query(
          `UPDATE connector_credentials SET sealed = $2, key_id = $3,
             updated_at = date_trunc('milliseconds', clock_timestamp())
           WHERE id = $1 AND key_id = $4 RETURNING id`,
          [row.id, resealed, current.id, row.key_id],
        );
        rotated += updated.length;
      }
      const [{ n }] = (await db.query<{ n: unknown }>(
        'SELECT count(*) AS n FROM connector_credentials WHERE key_id = $1',
        [current.id],
      )) as [{ n: unknown }];
      return { rotated, alreadyCurrent: Number(n) - rotated };
    },

    /** The current key's id, as stored on rows sealed under it. */
    currentKeyId: current.id,
  };
}
export type ConnectorCredentials = ReturnType<typeof connectorCredentials>;
