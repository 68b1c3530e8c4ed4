import { isPulseError, type PulseEvent } from '@pulse/core';
import { connectorCredentials } from '@pulse/core/secrets/index';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { insertEvents } from '@pulse/warehouse';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { privacyCommand, runPrivacyErase, runPrivacyVerify } from './privacy.command.ts';
import { runSecretsRotate, secretsCommand } from './secrets.command.ts';

let wh: ScratchWarehouse;
let meta: ScratchMetadata;
let ws: string;
const printed: string[] = [];
const print = (line: string) => printed.push(line);

const identify = (eventId: string, userId: string, email: string): PulseEvent =>
  ({
    family: 'product',
    type: 'identify',
    eventId,
    workspaceId: ws,
    schemaVersion: 1,
    timestamp: '2026-03-02T09:00:00.000Z',
    userId,
    traits: { email },
  }) as PulseEvent;

beforeAll(async () => {
  [wh, meta] = await Promise.all([createScratchWarehouse(), createScratchMetadata()]);
  ws = (await meta.store.workspaces.create({ slug: 'cli', name: 'CLI' })).id;
  await insertEvents(
    wh.warehouse,
    [identify('i1', 'u_ada', 'ada@example.com'), identify('i2', 'u_bob', 'bob@example.com')],
    {
      dedupToken: 'cli-fixture',
    },
  );
});
afterAll(async () => {
  await Promise.all([wh?.cleanup(), meta?.cleanup()]);
});

/** Runs `pulse <args>` far enough to print help or refuse usage; returns stdout and the commander error code. */
async function parse(command: ReturnType<typeof privacyCommand>, args: string[]) {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await command.parseAsync(args, { from: 'user' });
    return { out: out.join(''), code: undefined };
  } catch (e) {
    return { out: out.join(''), code: e instanceof CommanderError ? e.code : String(e) };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

describe('pulse privacy', () => {
  it('erase --help explains the command, its options and the exit codes', async () => {
    const { out, code } = await parse(privacyCommand({}), ['erase', '--help']);
    expect(code).toBe('commander.helpDisplayed');
    expect(out).toContain('--user-id <id>');
    expect(out).toContain('--email <address>');
    expect(out).toContain('Exit code 0');
  });

  it('refuses --user-id together with --email as a usage error', async () => {
    const { code } = await parse(privacyCommand({}), [
      'erase',
      '--workspace',
      'w',
      '--user-id',
      'u',
      '--email',
      'a@b.example',
    ]);
    expect(code).toBe('commander.conflictingOption');
  });

  it('erase removes the subject, writes the ledger and prints the counts; verify then passes', async () => {
    const done = await runPrivacyErase(
      { warehouse: wh.warehouse, metadata: meta.store, print },
      { workspace: ws, email: 'ada@example.com' },
    );
    expect(done).toMatchObject({
      status: 'completed',
      requestedBy: 'cli',
      tableCounts: { product_events: 1 },
    });
    expect(printed).toContain('  product_events: 1 rows removed');
    expect(printed).toContain('  verified: no rows of the subject remain');
    expect(await runPrivacyVerify({ warehouse: wh.warehouse, metadata: meta.store, print }, {})).toEqual({
      checked: 1,
      failed: [],
    });
  });

  it('verify fails, naming the table, when the subject’s rows come back', async () => {
    await insertEvents(wh.warehouse, [identify('i1-replayed', 'u_ada', 'ada@example.com')], {
      dedupToken: 'replay',
    });
    const err = await runPrivacyVerify(
      { warehouse: wh.warehouse, metadata: meta.store, print },
      { workspace: ws },
    ).catch((e: unknown) => e);
    expect(isPulseError(err, 'PRIVACY_VERIFICATION_FAILED')).toBe(true);
    expect(printed.at(-1)).toMatch(/^FAILED .*product_events has 1 rows/);
  });
});

describe('pulse secrets rotate', () => {
  it('--help says how to rotate the server secret', async () => {
    const { out, code } = await parse(secretsCommand({}), ['rotate', '--help']);
    expect(code).toBe('commander.helpDisplayed');
    expect(out).toContain('PULSE_SECRET_KEY_PREVIOUS');
  });

  it('re-encrypts credentials so the previous secret can be removed', async () => {
    const oldKey = 'old-secret-for-the-cli-test-0123456789abcdef';
    const newKey = 'new-secret-for-the-cli-test-0123456789abcdef';
    await connectorCredentials(meta.store.db, { secretKey: oldKey }).put({
      workspaceId: ws,
      name: 'x',
      values: { token: 't-1' },
    });
    expect(
      await runSecretsRotate(meta.store, { secretKey: newKey, previousSecretKeys: [oldKey] }, print),
    ).toEqual({
      rotated: 1,
      alreadyCurrent: 0,
    });
    expect(await connectorCredentials(meta.store.db, { secretKey: newKey }).get(ws, 'x')).toEqual({
      token: 't-1',
    });
    expect(printed.join('\n')).not.toContain('t-1');
  });
});
