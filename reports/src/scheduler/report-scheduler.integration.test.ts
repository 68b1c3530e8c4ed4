import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetadataStore } from '@pulse/core';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { kpiEvents, loadMetricCatalog } from '@pulse/models';
import { insertEvents } from '@pulse/warehouse';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Recipient } from '../definitions/recipients.ts';
import { parseScheduleDefinition, type ScheduleDefinitionInput } from '../definitions/schedule-definition.ts';
import { createRecipientSender, type SendToRecipient } from '../delivery/deliver-to-recipient.ts';
import { createDownloadArea, type DownloadArea } from '../delivery/download-area.ts';
import { createMailer } from '../delivery/email-message.ts';
import { startHttpReceiver, startSmtpReceiver } from '../delivery/testing/loopback-receivers.ts';
import { verifyWebhookSignature } from '../delivery/webhook-message.ts';
import { createReportScheduler, type ReportSchedulerOptions } from './report-scheduler.ts';

// Monday 2026-11-09 08:00 UTC: "last full week" is 2–8 November, which holds the KPI fixture's
// window (2 and 3 November), worked out by hand in kpi-library.integration.test.ts.
const MONDAY_8AM = new Date('2026-11-09T08:00:00Z');
const HOOK_SECRET = 'a-webhook-secret-of-some-length';
const catalog = loadMetricCatalog().metrics;

let wh: ScratchWarehouse;
let meta: ScratchMetadata;
let store: MetadataStore;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let http: Awaited<ReturnType<typeof startHttpReceiver>>;
let downloadsDir: string;
let downloads: DownloadArea;
let workspaceId: string;
let reportId: string;

function fakeClock(start: Date) {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    set: (at: Date) => {
      now = at.getTime();
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function scheduler(clock: { now(): Date }, extra: Partial<ReportSchedulerOptions> = {}) {
  return createReportScheduler({
    metadata: store,
    warehouse: wh.warehouse,
    catalog,
    downloads,
    smtp: { url: smtp.url, from: 'Pulse <reports@pulse.test>', attachmentMaxBytes: 10_485_760 },
    clock,
    retry: { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 600_000 },
    ...extra,
  });
}

async function createSchedule(recipients: Recipient[], change: Partial<ScheduleDefinitionInput> = {}) {
  const s = scheduler(fakeClock(new Date(MONDAY_8AM.getTime() - 3_600_000)));
  return s.schedules.create(
    workspaceId,
    parseScheduleDefinition({
      reportId,
      cron: '0 8 * * 1',
      timezone: 'UTC',
      timeRange: { preset: 'last_full_week' },
      formats: ['pdf', 'xlsx'],
      recipients,
      ...change,
    }),
    { now: new Date(MONDAY_8AM.getTime() - 3_600_000) },
  );
}

const mailsFor = (address: string, runId: string) =>
  smtp.received.filter(
    (m) => m.envelopeTo.includes(address) && m.mail.headers.get('x-pulse-run-id') === runId,
  );

beforeAll(async () => {
  [wh, meta, smtp, http] = await Promise.all([
    createScratchWarehouse(),
    createScratchMetadata(),
    startSmtpReceiver(),
    startHttpReceiver(),
  ]);
  store = meta.store;
  const workspace = await store.workspaces.create({ slug: 'acme', name: 'Acme' });
  workspaceId = workspace.id;
  // Warehouse rows carry the metadata workspace id, as the ingester writes them.
  await insertEvents(
    wh.warehouse,
    kpiEvents.map((e) => ({ ...e, workspaceId })),
    { dedupToken: 'reports-scheduler-test' },
  );
  const report = await store.reports.create({
    workspaceId,
    title: 'Weekly social',
    definition: {
      kind: 'explore',
      query: {
        metrics: ['impressions', 'engagements'],
        dimensions: ['platform'],
        timeRange: { preset: 'last_7_days' },
      },
    },
  });
  reportId = report.id;
  downloadsDir = mkdtempSync(join(tmpdir(), 'pulse-downloads-'));
  downloads = createDownloadArea({
    dir: downloadsDir,
    serverSecret: 'test-server-secret-of-at-least-32-bytes',
    publicUrl: 'http://127.0.0.1:3000',
  });
});

afterAll(async () => {
  await Promise.all([smtp?.close(), http?.close()]);
  await meta?.cleanup();
  await wh?.cleanup();
  if (downloadsDir) rmSync(downloadsDir, { recursive: true, force: true });
});

// Each test starts from a quiet store: earlier schedules off, nobody holding the lease.
beforeEach(async () => {
  await store.db.query('UPDATE schedules SET enabled = false, next_run_at = NULL');
  await store.db.query(`UPDATE scheduler_leases SET holder = '', expires_at = 'epoch'`);
});

describe('report scheduler', () => {
  it('delivers a due report: PDF and XLSX by e-mail, Block Kit to Slack, an Adaptive Card to Teams, a signed webhook', async () => {
    const schedule = await createSchedule([
      { type: 'email', address: 'ceo@acme.test' },
      { type: 'email', address: 'cfo@acme.test' },
      { type: 'slack', webhookUrl: http.url('/slack/T000/B000/XXXX') },
      { type: 'teams', webhookUrl: http.url('/teams/workflow') },
      { type: 'webhook', url: http.url('/hook'), secret: HOOK_SECRET },
    ]);
    expect(schedule.nextRunAt?.toISOString()).toBe(MONDAY_8AM.toISOString());
    const clock = fakeClock(new Date(MONDAY_8AM.getTime() - 1000));
    const s = scheduler(clock);

    expect((await s.tick()).enqueued).toEqual([]);
    clock.advance(31_000);
    const tick = await s.tick();
    const runId = `${schedule.id}@${MONDAY_8AM.toISOString()}`;
    expect(tick.enqueued).toEqual([runId]);
    expect(tick.outcomes.map((o) => [o.runId, o.status, o.failed])).toEqual([[runId, 'succeeded', []]]);

    // E-mail: one message per address, both files attached, the run id as idempotency key.
    for (const address of ['ceo@acme.test', 'cfo@acme.test']) {
      const [mail, extra] = mailsFor(address, runId);
      expect(extra).toBeUndefined();
      expect(mail!.mail.subject).toBe('Weekly social — 2–8 November 2026');
      expect(mail!.mail.messageId).toMatch(/^<run\.[0-9a-f]{32}@pulse\.test>$/);
      expect(mail!.mail.text).toContain('Impressions: 1,700');
      const names = mail!.mail.attachments.map((a) => a.filename);
      expect(names).toEqual(['weekly-social-2026-11-09.pdf', 'weekly-social-2026-11-09.xlsx']);
      const [pdf, xlsx] = mail!.mail.attachments;
      expect(pdf!.content.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf!.content.toString('latin1').match(/\/Type \/Page\b/g)?.length).toBeGreaterThanOrEqual(1);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(xlsx!.content as unknown as ArrayBuffer);
      expect(workbook.worksheets.map((w) => w.name)).toEqual([
        'Summary',
        'Headline numbers',
        'Weekly social',
      ]);
      const headline = workbook.getWorksheet('Headline numbers')!;
      const header = (headline.getRow(1).values as unknown[]).slice(1);
      expect(headline.getRow(2).getCell(header.indexOf('Impressions') + 1).value).toBe(1700);
    }
    expect(mailsFor('ceo@acme.test', runId)[0]!.mail.messageId).toBe(
      mailsFor('cfo@acme.test', runId)[0]!.mail.messageId,
    );

    // Slack: Block Kit with a header, KPI fields and a button to a signed download link.
    const [slack] = http.on('/slack/T000/B000/XXXX');
    expect(slack!.headers['idempotency-key']).toBe(runId);
    const slackBody = JSON.parse(slack!.body);
    expect(slackBody.text).toBe('Weekly social — 2–8 November 2026');
    expect(slackBody.blocks.map((b: { type: string }) => b.type)).toEqual([
      'header',
      'context',
      'section',
      'actions',
    ]);
    // The headline compares with the previous period (the fixture's October history).
    expect(slackBody.blocks[2].fields[0]).toEqual({
      type: 'mrkdwn',
      text: expect.stringMatching(/^\*Impressions\*\n1,700 {2}\([+-]\d+\.\d%\)$/),
    });
    const link = new URL(slackBody.blocks[3].elements[0].url);
    const path = decodeURIComponent(link.pathname.replace('/api/v1/downloads/', ''));
    const file = downloads.verify(
      path,
      link.searchParams.get('expires') ?? undefined,
      link.searchParams.get('signature') ?? undefined,
      clock.now(),
    );
    expect(file.endsWith('.pdf')).toBe(true);

    // Teams: a message with one Adaptive Card attachment.
    const teamsBody = JSON.parse(http.on('/teams/workflow')[0]!.body);
    expect(teamsBody.type).toBe('message');
    expect(teamsBody.attachments).toHaveLength(1);
    expect(teamsBody.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = teamsBody.attachments[0].content;
    expect([card.type, card.version]).toEqual(['AdaptiveCard', '1.4']);
    expect(card.body.find((b: { type: string }) => b.type === 'FactSet').facts[0]).toEqual({
      title: 'Impressions',
      value: expect.stringMatching(/^1,700 \([+-]\d+\.\d%\)$/),
    });
    expect(card.actions[0]).toMatchObject({ type: 'Action.OpenUrl', title: 'Open report' });

    // Webhook: JSON with the files, signed with the recipient's secret over timestamp and body.
    const hook = http.on('/hook')[0]!;
    expect(
      verifyWebhookSignature(
        HOOK_SECRET,
        {
          timestamp: hook.headers['x-pulse-timestamp'] as string,
          signature: hook.headers['x-pulse-signature'] as string,
        },
        hook.body,
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);
    expect(
      verifyWebhookSignature(
        'another-secret-entirely',
        {
          timestamp: hook.headers['x-pulse-timestamp'] as string,
          signature: hook.headers['x-pulse-signature'] as string,
        },
        hook.body,
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(false);
    const hookBody = JSON.parse(hook.body);
    expect(hookBody).toMatchObject({ type: 'report.delivered', version: 1, runId });
    expect(hookBody.files.map((f: { format: string }) => f.format)).toEqual(['pdf', 'xlsx']);
    expect(hook.headers['idempotency-key']).toBe(runId);

    // The run is recorded with its size, duration and one 'sent' record per recipient.
    const run = await s.runs.get(workspaceId, runId);
    expect(run.status).toBe('succeeded');
    expect(run.attempts).toBe(1);
    expect(run.sizeBytes).toBe(run.files.reduce((sum, f) => sum + f.bytes, 0));
    expect(run.sizeBytes).toBeGreaterThan(1000);
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    const deliveries = await s.runs.deliveries(runId);
    expect(deliveries.map((d) => d.status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
    expect((await s.schedules.get(workspaceId, schedule.id)).nextRunAt?.toISOString()).toBe(
      '2026-11-16T08:00:00.000Z',
    );

    // Ticking again at the same instant, or in another process, sends nothing more.
    const again = await s.tick();
    expect([again.enqueued, again.outcomes]).toEqual([[], []]);
    expect(mailsFor('ceo@acme.test', runId)).toHaveLength(1);
    await s.stop();
  });

  it('sends nobody the same run twice when the process dies mid-run and another takes over', async () => {
    const recipients: Recipient[] = [
      { type: 'email', address: 'first@acme.test' },
      { type: 'email', address: 'second@acme.test' },
      { type: 'webhook', url: http.url('/crash-hook'), secret: HOOK_SECRET },
    ];
    const schedule = await createSchedule(recipients);
    const runId = `${schedule.id}@${MONDAY_8AM.toISOString()}`;
    const real = createRecipientSender({
      mailer: createMailer({
        url: smtp.url,
        from: 'Pulse <reports@pulse.test>',
        attachmentMaxBytes: 10_485_760,
      }),
    });
    // The first process delivers to the first recipient, then freezes for good before the
    // second: what a SIGKILL or a power cut leaves behind (a 'sending' record, a live claim).
    let calls = 0;
    const dying: SendToRecipient = async (recipient, message) => {
      calls += 1;
      if (calls === 2) return new Promise<void>(() => {});
      return real(recipient, message);
    };
    const clock = fakeClock(new Date(MONDAY_8AM.getTime() + 1000));
    const doomed = scheduler(clock, { send: dying, instanceId: 'doomed', leaseMs: 30_000, claimMs: 300_000 });
    void doomed.tick();
    await expect.poll(() => mailsFor('first@acme.test', runId).length, { timeout: 60_000 }).toBe(1);
    await expect.poll(() => calls, { timeout: 10_000 }).toBe(2);

    // A second process before the claim expired leaves the run alone…
    const survivor = scheduler(clock, { instanceId: 'survivor', leaseMs: 30_000, claimMs: 300_000 });
    clock.advance(60_000);
    const early = await survivor.tick();
    expect(early.leader).toBe(true);
    expect(early.outcomes).toEqual([]);
    // …and finishes it once the claim has expired, skipping the recipient already served.
    clock.advance(300_000);
    const late = await survivor.tick();
    expect(late.outcomes).toHaveLength(1);
    expect(late.outcomes[0]).toMatchObject({
      runId,
      status: 'succeeded',
      skipped: ['email:first@acme.test'],
    });
    expect(late.outcomes[0]!.sent.sort()).toEqual([
      'email:second@acme.test',
      expect.stringMatching(/^webhook:/),
    ]);
    expect(mailsFor('first@acme.test', runId)).toHaveLength(1);
    expect(mailsFor('second@acme.test', runId)).toHaveLength(1);
    expect(http.on('/crash-hook')).toHaveLength(1);
    const run = await survivor.runs.get(workspaceId, runId);
    expect([run.status, run.attempts]).toEqual(['succeeded', 2]);
    await survivor.stop();
  });

  it('retries a transient webhook failure with backoff, without re-sending to those who got it', async () => {
    const schedule = await createSchedule(
      [
        { type: 'email', address: 'ops@acme.test' },
        { type: 'webhook', url: http.url('/flaky-hook'), secret: HOOK_SECRET },
      ],
      { formats: ['csv'] },
    );
    const runId = `${schedule.id}@${MONDAY_8AM.toISOString()}`;
    http.failNext('/flaky-hook', 503);
    const clock = fakeClock(new Date(MONDAY_8AM.getTime() + 2000));
    const s = scheduler(clock, { instanceId: 'retrier' });
    const first = await s.tick();
    expect(first.outcomes.map((o) => o.status)).toEqual(['retrying']);
    const retrying = await s.runs.get(workspaceId, runId);
    expect(retrying.error).toContain('503');
    expect(retrying.nextAttemptAt?.getTime()).toBe(clock.now().getTime() + 60_000);

    clock.advance(30_000);
    expect((await s.tick()).outcomes).toEqual([]); // still backing off
    clock.advance(30_000);
    const second = await s.tick();
    expect(second.outcomes.map((o) => [o.status, o.skipped])).toEqual([
      ['succeeded', ['email:ops@acme.test']],
    ]);
    expect(mailsFor('ops@acme.test', runId)).toHaveLength(1);
    expect(http.on('/flaky-hook').map((r) => [r.status, r.headers['idempotency-key']])).toEqual([
      [503, runId],
      [200, runId],
    ]);
    const csv = mailsFor('ops@acme.test', runId)[0]!.mail.attachments[0]!;
    expect(csv.filename).toBe('weekly-social-2026-11-09.csv');
    expect(csv.content.toString('utf8')).toContain('Impressions');
    await s.stop();
  });

  it('lets only one of two schedulers on one store run a due report', async () => {
    const schedule = await createSchedule([{ type: 'email', address: 'both@acme.test' }], {
      formats: ['csv'],
    });
    const runId = `${schedule.id}@${MONDAY_8AM.toISOString()}`;
    const clock = fakeClock(new Date(MONDAY_8AM.getTime() + 3_600_000));
    const a = scheduler(clock, { instanceId: 'a' });
    const b = scheduler(clock, { instanceId: 'b' });
    const [ta, tb] = await Promise.all([a.tick(), b.tick()]);
    expect([ta.leader, tb.leader].sort()).toEqual([false, true]);
    expect([...ta.enqueued, ...tb.enqueued]).toEqual([runId]);
    clock.advance(15_000);
    const [ta2, tb2] = await Promise.all([a.tick(), b.tick()]);
    expect([ta2.leader, tb2.leader]).toEqual([ta.leader, tb.leader]); // the leader keeps its lease
    expect(mailsFor('both@acme.test', runId)).toHaveLength(1);
    // When the leader stops, the other one takes over at its next tick.
    const [leader, follower] = ta.leader ? [a, b] : [b, a];
    await leader.stop();
    expect((await follower.tick()).leader).toBe(true);
    await follower.stop();
  });

  it('sends now and previews without sending', async () => {
    const schedule = await createSchedule([{ type: 'email', address: 'now@acme.test' }], {
      formats: ['xlsx'],
      enabled: false,
    });
    const s = scheduler(fakeClock(new Date('2026-11-05T10:00:00Z')), { instanceId: 'web' });
    const { run, outcome } = await s.sendNow(workspaceId, schedule.id);
    expect(run.id).toMatch(/^manual:/);
    expect([run.trigger, run.status, outcome.sent]).toEqual(['manual', 'succeeded', ['email:now@acme.test']]);
    expect(mailsFor('now@acme.test', run.id)).toHaveLength(1);

    const before = smtp.received.length;
    const chunks: Buffer[] = [];
    const { Writable } = await import('node:stream');
    const rendered = await s.preview(
      { workspaceId, reportId, format: 'pdf', timeRange: { preset: 'last_full_week' }, timezone: 'UTC' },
      new Writable({
        write(chunk: Buffer, _e, cb) {
          chunks.push(chunk);
          cb();
        },
      }),
    );
    expect(rendered.contentType).toBe('application/pdf');
    expect(Buffer.concat(chunks).subarray(0, 5).toString()).toBe('%PDF-');
    expect(smtp.received.length).toBe(before);
  });

  it('builds a dashboard report from the tiles the injected resolver returns, with its filters', async () => {
    const dashboardReport = await store.reports.create({
      workspaceId,
      title: 'Executive dashboard',
      definition: {
        kind: 'dashboard',
        dashboardId: 'exec',
        filters: [{ dimension: 'platform', value: 'linkedin' }],
      },
    });
    const asked: unknown[] = [];
    const s = scheduler(fakeClock(MONDAY_8AM), {
      instanceId: 'dash',
      resolveDashboard: async (ws, dashboardId, filters) => {
        asked.push([ws, dashboardId, filters]);
        return {
          title: 'Executive',
          tiles: [
            { title: 'Reach', chart: 'kpi', query: { metrics: ['impressions'], filters } },
            {
              title: 'By platform',
              chart: 'bar',
              query: { metrics: ['impressions'], dimensions: ['platform'], filters },
            },
          ],
        };
      },
    });
    const chunks: Buffer[] = [];
    const { Writable } = await import('node:stream');
    await s.preview(
      {
        workspaceId,
        reportId: dashboardReport.id,
        format: 'csv',
        timeRange: { preset: 'last_full_week' },
        timezone: 'UTC',
      },
      new Writable({
        write(chunk: Buffer, _e, cb) {
          chunks.push(chunk);
          cb();
        },
      }),
    );
    expect(asked).toEqual([[workspaceId, 'exec', [{ dimension: 'platform', op: 'eq', value: 'linkedin' }]]]);
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\r\n');
    expect(lines[0]).toMatch(/^tile,/);
    // Only LinkedIn rows: the dashboard's filter reached every tile's query.
    const byPlatform = lines.filter((l) => l.startsWith('By platform,'));
    expect(byPlatform.length).toBe(1);
    expect(byPlatform[0]).toContain('linkedin');
  });
});
