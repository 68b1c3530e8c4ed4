import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createMetricsRegistry, loadConfig } from '@pulse/core';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { kpiEvents, loadMetricCatalog } from '@pulse/models';
import { createDownloadArea, createReportScheduler, type ReportScheduler } from '@pulse/reports';
import { startSmtpReceiver } from '@pulse/reports/delivery/testing/loopback-receivers';
import { insertEvents } from '@pulse/warehouse';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import ExcelJS from 'exceljs';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../http-server.ts';
import { apiKeyCaller, createTestAuth, testWorkspace } from '../testing/test-auth.ts';
import { registerReportRoutes } from './reports-routes.ts';

let wh: ScratchWarehouse;
let meta: ScratchMetadata;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let scheduler: ReportScheduler;
let app: FastifyInstance;
let downloadsDir: string;
let reportId: string;
let otherReportId: string;
let clockNow = new Date('2026-11-05T10:00:00Z');
const callers: Record<'editor' | 'analyst' | 'viewer' | 'otherEditor', { authorization: string }> =
  {} as never;
const call = (who: keyof typeof callers, options: InjectOptions) =>
  app.inject({ ...options, headers: { ...callers[who], ...(options.headers ?? {}) } });

const scheduleBody = (extra: object = {}) => ({
  reportId,
  name: 'Weekly social',
  cron: '0 8 * * 1',
  timezone: 'Europe/Berlin',
  timeRange: { preset: 'last_full_week' },
  formats: ['pdf', 'xlsx'],
  recipients: [
    { type: 'email', address: 'ceo@acme.test' },
    { type: 'webhook', url: 'https://hooks.example.com/pulse/abc123', secret: 'whsec-0123456789abcdef' },
  ],
  ...extra,
});

beforeAll(async () => {
  [wh, meta, smtp] = await Promise.all([
    createScratchWarehouse({ database: 'pulse_reports_api' }),
    createScratchMetadata(),
    startSmtpReceiver(),
  ]);
  const workspaceId = await testWorkspace(meta.store, 'acme');
  const otherWorkspaceId = await testWorkspace(meta.store, 'other');
  await insertEvents(
    wh.warehouse,
    kpiEvents.map((e) => ({ ...e, workspaceId })),
    { dedupToken: 'reports-routes' },
  );
  // Saved the way Explore saves it (dashboard/src/lib/explore/report-definition.ts).
  const definition = {
    version: 1,
    chart: 'bar',
    query: {
      metrics: ['impressions'],
      dimensions: ['platform'],
      timeRange: { preset: 'last_7_days' },
      timezone: 'UTC',
    },
  };
  reportId = (await meta.store.reports.create({ workspaceId, title: 'Impressions by platform', definition }))
    .id;
  otherReportId = (
    await meta.store.reports.create({ workspaceId: otherWorkspaceId, title: 'Theirs', definition })
  ).id;
  const auth = createTestAuth(meta.store);
  callers.editor = await apiKeyCaller(auth, workspaceId, 'editor');
  callers.analyst = await apiKeyCaller(auth, workspaceId, 'analyst');
  callers.viewer = await apiKeyCaller(auth, workspaceId, 'viewer');
  callers.otherEditor = await apiKeyCaller(auth, otherWorkspaceId, 'editor');
  downloadsDir = mkdtempSync(join(tmpdir(), 'pulse-downloads-'));
  scheduler = createReportScheduler({
    metadata: meta.store,
    warehouse: wh.warehouse,
    catalog: loadMetricCatalog().metrics,
    downloads: createDownloadArea({
      dir: downloadsDir,
      serverSecret: 'routes-test-secret-of-at-least-32-bytes',
      publicUrl: 'http://pulse.test',
    }),
    smtp: { url: smtp.url, from: 'Pulse <reports@pulse.test>', attachmentMaxBytes: 10_485_760 },
    clock: { now: () => clockNow },
    instanceId: 'web',
  });
  app = await createHttpServer(
    {
      config: loadConfig({}),
      logger: createLogger({ level: 'silent', serviceName: 'test' }),
      metrics: createMetricsRegistry(),
      version: 'test',
      isDemo: false,
      readiness: [],
      overview: { countsByFamily: async () => [], latestEvents: async () => [] },
    },
    {
      auth,
      registerRoutes: (instance) => registerReportRoutes(instance, { metadata: meta.store, scheduler }),
    },
  );
  await app.ready();
}, 180_000);

afterAll(async () => {
  await app?.close();
  await smtp?.close();
  await meta?.cleanup();
  await wh?.cleanup();
  if (downloadsDir) rmSync(downloadsDir, { recursive: true, force: true });
});

describe('report schedule routes', () => {
  it('creates, reads, changes and deletes a schedule, never showing webhook credentials back', async () => {
    expect(
      (await call('viewer', { method: 'POST', url: '/api/v1/report-schedules', payload: scheduleBody() }))
        .statusCode,
    ).toBe(403);
    const created = await call('editor', {
      method: 'POST',
      url: '/api/v1/report-schedules',
      payload: scheduleBody(),
    });
    expect(created.statusCode).toBe(201);
    const schedule = created.json();
    // Monday 9 November 08:00 in Berlin (CET, UTC+1) is 07:00 UTC.
    expect(schedule).toMatchObject({
      cron: '0 8 * * 1',
      timezone: 'Europe/Berlin',
      nextRunAt: '2026-11-09T07:00:00.000Z',
    });
    expect(JSON.stringify(schedule)).not.toContain('whsec-');
    expect(JSON.stringify(schedule)).not.toContain('abc123');
    expect(schedule.recipients[1]).toMatchObject({
      type: 'webhook',
      url: 'https://hooks.example.com/…',
      secret: '••••',
    });

    const listed = await call('viewer', { url: '/api/v1/report-schedules' });
    expect(listed.json().schedules.map((s: { id: string }) => s.id)).toContain(schedule.id);
    expect((await call('otherEditor', { url: `/api/v1/report-schedules/${schedule.id}` })).statusCode).toBe(
      404,
    );

    const patched = await call('editor', {
      method: 'PATCH',
      url: `/api/v1/report-schedules/${schedule.id}`,
      payload: { cron: '30 7 1 * *' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ cron: '30 7 1 * *', timezone: 'Europe/Berlin', enabled: true });
    expect(patched.json().nextRunAt).toBe('2026-12-01T06:30:00.000Z');
    const disabled = await call('editor', {
      method: 'PATCH',
      url: `/api/v1/report-schedules/${schedule.id}`,
      payload: { enabled: false },
    });
    expect(disabled.json()).toMatchObject({ enabled: false, nextRunAt: null, cron: '30 7 1 * *' });

    expect(
      (await call('editor', { method: 'DELETE', url: `/api/v1/report-schedules/${schedule.id}` })).statusCode,
    ).toBe(204);
    expect((await call('editor', { url: `/api/v1/report-schedules/${schedule.id}` })).statusCode).toBe(404);
  });

  it('refuses invalid schedules with a 400 that says which field and how to fix it', async () => {
    const bad = await call('editor', {
      method: 'POST',
      url: '/api/v1/report-schedules',
      payload: scheduleBody({
        cron: 'every monday',
        timezone: 'Mars/Olympus',
        formats: ['docx'],
        recipients: [
          { type: 'email', address: 'not-an-address' },
          { type: 'webhook', url: 'ftp://x', secret: 'short' },
        ],
      }),
    });
    expect(bad.statusCode).toBe(400);
    const error = bad.json().error;
    expect(error.code).toBe('SCHEDULE_INVALID');
    const paths = error.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'cron',
        'timezone',
        'formats.0',
        'recipients.0.address',
        'recipients.1.url',
        'recipients.1.secret',
      ]),
    );
    expect(error.hint).toContain('cron: expected a cron pattern');
    const foreign = await call('editor', {
      method: 'POST',
      url: '/api/v1/report-schedules',
      payload: scheduleBody({ reportId: otherReportId }),
    });
    expect([foreign.statusCode, foreign.json().error.code]).toEqual([404, 'REPORT_NOT_FOUND']);
  });

  it('exports a schedule as YAML without credentials and imports it as a new report and schedule', async () => {
    const schedule = (
      await call('editor', { method: 'POST', url: '/api/v1/report-schedules', payload: scheduleBody() })
    ).json();
    const exported = await call('editor', {
      url: `/api/v1/report-schedules/${schedule.id}/export?format=yaml`,
    });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toContain('application/yaml');
    expect(exported.body).toContain('kind: pulse/report-schedule');
    expect(exported.body).not.toContain('whsec-');
    expect(exported.body).toMatch(/omittedRecipients:\n\s+- webhook:[0-9a-f]{24}/);

    expect(
      (
        await call('viewer', {
          method: 'POST',
          url: '/api/v1/report-schedules/import',
          payload: { content: exported.body },
        })
      ).statusCode,
    ).toBe(403);
    const imported = await call('editor', {
      method: 'POST',
      url: '/api/v1/report-schedules/import',
      payload: { content: exported.body },
    });
    expect(imported.json()).not.toHaveProperty('error');
    expect(imported.statusCode).toBe(201);
    const body = imported.json();
    expect(body.reportId).not.toBe(reportId);
    expect(body.schedule).toMatchObject({
      cron: '0 8 * * 1',
      timezone: 'Europe/Berlin',
      formats: ['pdf', 'xlsx'],
    });
    expect(body.schedule.recipients).toEqual([{ type: 'email', address: 'ceo@acme.test' }]);
    expect(body.omittedRecipients).toHaveLength(1);

    const newer = exported.body.replace('version: 1', 'version: 9');
    const refused = await call('editor', {
      method: 'POST',
      url: '/api/v1/report-schedules/import',
      payload: { content: newer },
    });
    expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'REPORT_FILE_INVALID']);
    expect(refused.json().error.hint).toContain('upgrade Pulse');
  });

  it('previews a report as a file without sending it', async () => {
    const before = smtp.received.length;
    const preview = await call('analyst', {
      method: 'POST',
      url: '/api/v1/report-runs/preview',
      payload: { reportId, format: 'xlsx', timeRange: { preset: 'last_full_week' }, timezone: 'UTC' },
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(preview.rawPayload as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((w) => w.name)).toEqual([
      'Summary',
      'Headline numbers',
      'Impressions by platform',
    ]);
    expect(smtp.received.length).toBe(before);
    expect(
      (await call('viewer', { method: 'POST', url: '/api/v1/report-runs/preview', payload: { reportId } }))
        .statusCode,
    ).toBe(403);
  });

  it('shows the first rows of the CSV and Arrow previews, read back from the files', async () => {
    const schedule = (
      await call('editor', { method: 'POST', url: '/api/v1/report-schedules', payload: scheduleBody() })
    ).json();
    const url = (format: string, extra = '') =>
      `/api/v1/report-schedules/${schedule.id}/preview-rows?format=${format}${extra}`;
    const csv = await call('analyst', { url: url('csv', '&limit=2') });
    expect(csv.statusCode).toBe(200);
    const csvBody = csv.json();
    expect(csvBody).toMatchObject({ format: 'csv', columns: expect.arrayContaining(['tile']) });
    expect(csvBody.rows.length).toBeLessThanOrEqual(2);
    expect(csvBody.bytes).toBeGreaterThan(0);
    const arrow = (await call('analyst', { url: url('arrow') })).json();
    expect(arrow.columns).toContain('tile');
    expect(arrow.totalRows).toBe(csvBody.totalRows);
    expect((await call('analyst', { url: url('pdf') })).statusCode).toBe(400);
    expect((await call('analyst', { url: url('csv', '&limit=0') })).statusCode).toBe(400);
    expect((await call('viewer', { url: url('csv') })).statusCode).toBe(403);
  });

  it('sends now, lists the run with its deliveries, and serves its files through signed links', async () => {
    const schedule = (
      await call('editor', {
        method: 'POST',
        url: '/api/v1/report-schedules',
        payload: scheduleBody({
          recipients: [{ type: 'email', address: 'now@acme.test' }],
          formats: ['pdf'],
        }),
      })
    ).json();
    const sent = await call('editor', {
      method: 'POST',
      url: `/api/v1/report-schedules/${schedule.id}/send`,
    });
    expect(sent.statusCode).toBe(201);
    const run = sent.json().run;
    expect(run).toMatchObject({ trigger: 'manual', status: 'succeeded', attempts: 1 });
    const mail = smtp.received.find((m) => m.mail.headers.get('x-pulse-run-id') === run.id);
    expect(mail?.envelopeTo).toEqual(['now@acme.test']);
    expect(mail?.mail.attachments[0]?.content.subarray(0, 5).toString()).toBe('%PDF-');

    const history = await call('viewer', { url: `/api/v1/report-runs?scheduleId=${schedule.id}` });
    expect(history.json()).toMatchObject({ runs: [{ id: run.id }], nextOffset: null });
    // Older runs come page by page: two more runs, read two at a time.
    for (let i = 0; i < 2; i++)
      await call('editor', { method: 'POST', url: `/api/v1/report-schedules/${schedule.id}/send` });
    const all = (await call('viewer', { url: `/api/v1/report-runs?scheduleId=${schedule.id}` })).json().runs;
    expect(all).toHaveLength(3);
    const first = (
      await call('viewer', { url: `/api/v1/report-runs?scheduleId=${schedule.id}&limit=2` })
    ).json();
    expect(first.nextOffset).toBe(2);
    const older = (
      await call('viewer', { url: `/api/v1/report-runs?scheduleId=${schedule.id}&limit=2&offset=2` })
    ).json();
    expect([...first.runs, ...older.runs].map((r: { id: string }) => r.id)).toEqual(
      all.map((r: { id: string }) => r.id),
    );
    expect(older.nextOffset).toBeNull();
    expect((await call('viewer', { url: '/api/v1/report-runs?offset=-1' })).statusCode).toBe(400);
    const detail = await call('viewer', { url: `/api/v1/report-runs/${encodeURIComponent(run.id)}` });
    expect(detail.json().deliveries).toMatchObject([{ recipientKey: 'email:now@acme.test', status: 'sent' }]);
    expect(
      (await call('otherEditor', { url: `/api/v1/report-runs/${encodeURIComponent(run.id)}` })).statusCode,
    ).toBe(404);

    const links = await call('analyst', {
      method: 'POST',
      url: `/api/v1/report-runs/${encodeURIComponent(run.id)}/links`,
    });
    const [link] = links.json().links;
    const url = new URL(link.url);
    expect(url.origin).toBe('http://pulse.test');
    // No credentials needed: the signature is the credential.
    const download = await app.inject({ url: `${url.pathname}${url.search}` });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    const tampered = await app.inject({
      url: `${url.pathname}${url.search.replace(/expires=\d+/, 'expires=9999999999')}`,
    });
    expect([tampered.statusCode, tampered.json().error.code]).toEqual([403, 'DOWNLOAD_LINK_INVALID']);
    const traversal = await app.inject({ url: `/api/v1/downloads/..%2F..%2Fetc%2Fpasswd${url.search}` });
    expect(traversal.statusCode).toBe(403);

    // Links minted for a moment that has passed are refused as expired.
    clockNow = new Date('2026-10-01T00:00:00Z');
    const old = (
      await call('analyst', {
        method: 'POST',
        url: `/api/v1/report-runs/${encodeURIComponent(run.id)}/links`,
      })
    ).json().links[0];
    clockNow = new Date('2026-11-05T10:00:00Z');
    const expiredUrl = new URL(old.url);
    const expired = await app.inject({ url: `${expiredUrl.pathname}${expiredUrl.search}` });
    expect([expired.statusCode, expired.json().error.code]).toEqual([410, 'DOWNLOAD_LINK_EXPIRED']);
  });
});
