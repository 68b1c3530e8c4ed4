import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPulseError } from '../errors/index.ts';
import { createScratchMetadata, type ScratchMetadata } from '../testing/scratch-metadata.ts';
import { connectorCredentials } from './connector-credentials.ts';

const oldSecret = 'old-server-secret-0123456789abcdefghijklmnop';
const newSecret = 'new-server-secret-0123456789abcdefghijklmnop';
const token = 'xoxb-very-secret-token-42';
let scratch: ScratchMetadata;
let workspaceId: string;

beforeAll(async () => {
  scratch = await createScratchMetadata();
  workspaceId = (await scratch.store.workspaces.create({ slug: 'secrets', name: 'Secrets' })).id;
});
afterAll(async () => {
  await scratch?.cleanup();
});

const storedRows = () =>
  scratch.store.db.query<{ name: string; sealed: string; key_id: string }>(
    'SELECT name, sealed, key_id FROM connector_credentials ORDER BY name',
  );

describe('connector credentials', () => {
  it('stores values sealed, opens them, and lists them without values', async () => {
    const creds = connectorCredentials(scratch.store.db, { secretKey: oldSecret });
    await creds.put({ workspaceId, name: 'hubspot', values: { accessToken: token, refreshToken: 'r-1' } });
    await creds.put({ workspaceId, name: 'linkedin', values: { clientSecret: 'li-secret' } });
    const rows = await storedRows();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.sealed).toMatch(/^v1\./);
      expect(row.sealed).not.toContain(token);
      expect(row.key_id).toBe(creds.currentKeyId);
    }
    expect(await creds.get(workspaceId, 'hubspot')).toEqual({ accessToken: token, refreshToken: 'r-1' });
    expect(JSON.stringify(await creds.list(workspaceId))).not.toContain(token);
  });

  it('cannot open values under another secret, and says which key is missing without the value', async () => {
    const wrong = connectorCredentials(scratch.store.db, { secretKey: newSecret });
    const err = await wrong.get(workspaceId, 'hubspot').catch((e: unknown) => e);
    expect(isPulseError(err, 'SECRETS_KEY_UNAVAILABLE')).toBe(true);
    expect(JSON.stringify(err) + String((err as Error).message)).not.toContain(token);
  });

  it('rotate() re-seals everything under the new key; the old key is then no longer needed', async () => {
    const during = connectorCredentials(scratch.store.db, {
      secretKey: newSecret,
      previousSecretKeys: [oldSecret],
    });
    // While rotating, both keys open values.
    expect((await during.get(workspaceId, 'linkedin')).clientSecret).toBe('li-secret');
    expect(await during.rotate()).toEqual({ rotated: 2, alreadyCurrent: 0 });
    expect(await during.rotate()).toEqual({ rotated: 0, alreadyCurrent: 2 });

    const after = connectorCredentials(scratch.store.db, { secretKey: newSecret });
    expect(await after.get(workspaceId, 'hubspot')).toEqual({ accessToken: token, refreshToken: 'r-1' });
    expect((await storedRows()).every((r) => r.key_id === after.currentKeyId)).toBe(true);

    const oldOnly = connectorCredentials(scratch.store.db, { secretKey: oldSecret });
    await expect(oldOnly.get(workspaceId, 'hubspot')).rejects.toThrow(/not configured/);
  });

  it('refuses values that are not an object of strings without echoing them', async () => {
    const creds = connectorCredentials(scratch.store.db, { secretKey: newSecret });
    const err = await creds
      .put({ workspaceId, name: 'bad', values: { apiKey: 42 } as unknown as Record<string, string> })
      .catch((e: unknown) => e);
    expect(isPulseError(err, 'SECRETS_VALUES_INVALID')).toBe(true);
  });
});
