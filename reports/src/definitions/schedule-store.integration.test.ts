// Schedules keep their recipients sealed at rest: the table never holds a webhook URL, its signing
// secret or an e-mail address in clear, and a rotated server secret still opens them.
import { randomBytes } from 'node:crypto';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipientKeys, scheduleStore } from './schedule-store.ts';

let scratch: ScratchMetadata;
let workspaceId: string;
let reportId: string;
const secret = () => randomBytes(48).toString('base64');

beforeAll(async () => {
  scratch = await createScratchMetadata();
  workspaceId = (await scratch.store.workspaces.create({ slug: 'sealed', name: 'Sealed' })).id;
  reportId = (
    await scratch.store.reports.create({
      workspaceId,
      title: 'Weekly',
      definition: {
        kind: 'explore',
        query: { metrics: ['impressions'], timeRange: { preset: 'last_7_days' } },
      },
    })
  ).id;
});
afterAll(() => scratch.cleanup());

const recipients = [
  { type: 'email' as const, address: 'cfo@example.com' },
  {
    type: 'webhook' as const,
    url: 'https://hooks.example.com/T000/B000/XXXXSECRETPATH',
    secret: 'sign-me-please-0123456789',
  },
];

describe('schedule recipients at rest', () => {
  it('stores them sealed and reads them back, also under a previous key after rotation', async () => {
    const oldSecret = secret();
    const store = scheduleStore(scratch.store.db, { keys: recipientKeys(oldSecret) });
    const created = await store.create(
      workspaceId,
      {
        reportId,
        name: 'Weekly',
        cron: '0 8 * * 1',
        timezone: 'Europe/Berlin',
        formats: ['pdf'],
        recipients,
        enabled: true,
      },
      { now: new Date('2026-11-24T08:00:00Z') },
    );
    expect(created.recipients).toEqual(recipients);
    const [row] = await scratch.store.db.query<{ recipients: unknown }>(
      'SELECT recipients::text AS recipients FROM schedules WHERE id = $1',
      [created.id],
    );
    const raw = String(row!.recipients);
    for (const clear of ['cfo@example.com', 'XXXXSECRETPATH', 'sign-me-please'])
      expect(raw).not.toContain(clear);
    expect(raw).toContain('sealed');

    // After rotation the old secret is "previous": schedules still open; saving re-seals them.
    const rotated = scheduleStore(scratch.store.db, { keys: recipientKeys(secret(), [oldSecret]) });
    expect((await rotated.get(workspaceId, created.id)).recipients).toEqual(recipients);
    // Without the old key they cannot be read, and the error says what to do.
    const lost = scheduleStore(scratch.store.db, { keys: recipientKeys(secret()) });
    await expect(lost.get(workspaceId, created.id)).rejects.toMatchObject({ code: 'SCHEDULE_SEALED' });
  });
});
