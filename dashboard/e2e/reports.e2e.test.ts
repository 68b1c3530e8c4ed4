import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { PulseEvent } from '@pulse/core';
import { insertEvents } from '@pulse/warehouse';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPulse } from '../server/start-pulse.ts';
import { formatInZone } from '../src/routes/reports/schedule-view.ts';
import { artifacts, type E2eStack, startE2eStack } from './e2e-stack.ts';
import { demoWorkspaceId, gotoReady, signedInPage } from './sign-in.ts';

// Enough rows that an XLSX export of all of them is still running when Cancel is pressed.
const users = 3000;
const hours = 24;
const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
let pulse: RunningPulse;
let browser: Browser;
let stack: E2eStack;
let receiver: Server;
let receiverUrl: string;
let failing: Server;
let failingUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  // The webhook recipient: a plain HTTP server on loopback that keeps what it is sent.
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/pulse-hook`;
  // A recipient that is down: every delivery to it fails with a 500.
  failing = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(500, { 'content-type': 'text/plain' }).end('receiver is down'));
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/down`;
  stack = await startE2eStack('reports');
  ({ pulse, browser } = stack);
  const workspaceId = await demoWorkspaceId(pulse);
  const events: PulseEvent[] = [];
  for (let h = 0; h < hours; h++)
    for (let u = 0; u < users; u++)
      events.push({
        family: 'product',
        type: 'track',
        eventId: `export-e2e-${h}-${u}`,
        workspaceId,
        schemaVersion: 1,
        timestamp: new Date(Date.parse(`${day}T00:00:00Z`) + h * 3_600_000 + u).toISOString(),
        userId: `export-user-${u}`,
        event: 'Opened',
      } as PulseEvent);
  await insertEvents(pulse.engines.warehouse, events, { dedupToken: 'reports-e2e-export-rows' });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  await new Promise((resolve) => failing?.close(resolve));
});

const exploreLink = (query: Record<string, unknown>, chart = 'table') =>
  `${pulse.url}/explore?q=${Buffer.from(
    JSON.stringify({
      version: 1,
      chart,
      description: '',
      query: { filters: [], timezone: 'UTC', limit: 1000, ...query },
    }),
  ).toString('base64url')}`;

async function json<T>(
  headers: Record<string, string>,
  path: string,
  init: { method?: string; body?: unknown } = {},
) {
  const res = await fetch(`${pulse.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...headers, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  expect(res.ok, `${init.method ?? 'GET'} ${path} answered ${res.status}`).toBe(true);
  return (await res.json()) as T;
}

const scheduleRow = (page: Page, name: string) =>
  page.getByTestId('schedule-row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });

describe('Reports in Chromium', () => {
  it('creates a schedule for a saved report, sends it now to a webhook and shows the run', async () => {
    const { page, headers } = await signedInPage(browser, pulse, {
      role: 'admin',
      viewport: { width: 1400, height: 1000 },
    });
    const report = await json<{ id: string }>(headers, '/api/v1/reports', {
      method: 'POST',
      body: {
        title: 'Impressions by platform (reports e2e)',
        definition: {
          version: 1,
          chart: 'bar',
          query: { metrics: ['impressions'], dimensions: ['platform'], timeRange: { preset: 'last_7_days' } },
        },
      },
    });

    await gotoReady(page, `${pulse.url}/reports`);
    await expect.poll(() => page.title()).toBe('Pulse — Reports');
    await page.getByText('No scheduled reports yet.').waitFor();

    await page.getByRole('button', { name: 'New schedule' }).click();
    const form = page.getByTestId('schedule-form');
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Weekly impressions');
    await form.getByLabel('Saved report').selectOption({ label: 'Impressions by platform (reports e2e)' });
    await form.getByLabel('When').selectOption({ label: 'Every Monday 08:00' });
    await form.getByLabel('Time zone').selectOption('Europe/Berlin');
    await form.getByLabel('Period').selectOption({ label: 'last 7 days' });
    await form.getByRole('checkbox', { name: 'CSV' }).check();
    expect(await form.getByText('Runs every Monday at 08:00 (Europe/Berlin)').count()).toBe(1);
    await form.getByLabel('Recipient 1 channel').selectOption({ label: 'Webhook' });
    await form.getByLabel('Recipient 1 webhook URL').fill(receiverUrl);
    const secret = await form.getByLabel('Recipient 1 signing secret').inputValue();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'dark';
    });
    await form.screenshot({ path: join(artifacts, 'reports-form-dark.png') });
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'light';
    });
    await form.getByRole('button', { name: 'Create schedule' }).click();
    await expect
      .poll(() => page.getByTestId('reports-status').textContent())
      .toContain('Created “Weekly impressions”');

    // The row says what the API stored, in words and in the schedule's zone.
    const { schedules } = await json<{ schedules: Record<string, unknown>[] }>(
      headers,
      '/api/v1/report-schedules',
    );
    expect(schedules).toHaveLength(1);
    const stored = schedules[0]!;
    expect(stored).toMatchObject({
      reportId: report.id,
      name: 'Weekly impressions',
      cron: '0 8 * * 1',
      timezone: 'Europe/Berlin',
      timeRange: { preset: 'last_7_days' },
      formats: ['pdf', 'xlsx', 'csv'],
      enabled: true,
    });
    const row = scheduleRow(page, 'Weekly impressions');
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe('Impressions by platform (reports e2e)');
    expect(cells[1]).toContain('every Monday at 08:00 (Europe/Berlin)');
    expect(cells[2]).toBe(formatInZone(stored.nextRunAt as string, 'Europe/Berlin'));
    expect(cells[2]).toMatch(/^Mon /);
    expect(cells[3]).toBe('PDF, Excel, CSV');
    expect(cells[4]).toBe('1');
    await page.screenshot({ path: join(artifacts, 'reports-schedules.png'), fullPage: true });

    await page.getByRole('button', { name: 'Send Weekly impressions now' }).click();
    await expect
      .poll(() => page.getByTestId('schedule-note').textContent(), { timeout: 60_000 })
      .toContain('Sent to 1 recipient.');

    // The receiver got one signed report.delivered payload naming the three files.
    expect(received).toHaveLength(1);
    const delivery = received[0]!;
    const payload = JSON.parse(delivery.body);
    expect(payload).toMatchObject({
      type: 'report.delivered',
      report: { title: 'Weekly impressions', timezone: 'Europe/Berlin' },
    });
    expect(payload.files.map((f: { format: string }) => f.format).sort()).toEqual(['csv', 'pdf', 'xlsx']);
    const timestamp = delivery.headers['x-pulse-timestamp'];
    expect(delivery.headers['x-pulse-signature']).toBe(
      `v1=${createHmac('sha256', secret).update(`${timestamp}.${delivery.body}`).digest('hex')}`,
    );

    // The history shows the run the API recorded, and its delivery to the webhook.
    const { runs } = await json<{ runs: { id: string; status: string }[] }>(
      headers,
      `/api/v1/report-runs?scheduleId=${stored.id}`,
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: payload.runId, status: 'succeeded' });
    expect(delivery.headers['idempotency-key']).toBe(payload.runId);
    const history = page.getByTestId('run-history');
    await history.getByTestId('run-row').first().waitFor();
    expect(await history.getByTestId('run-row').count()).toBe(1);
    expect(await history.getByTestId('run-row').getAttribute('data-status')).toBe('succeeded');
    await history.getByRole('button', { name: 'Deliveries' }).click();
    const deliveryRow = history.getByTestId('delivery-row');
    await deliveryRow.waitFor();
    expect(await deliveryRow.getAttribute('data-status')).toBe('sent');
    expect(await deliveryRow.locator('td').first().textContent()).toBe(
      `Webhook http://127.0.0.1:${new URL(receiverUrl).port}/…`,
    );
    await page.screenshot({ path: join(artifacts, 'reports-history.png'), fullPage: true });

    // Preview renders the PDF without sending anything.
    const popup = page.context().waitForEvent('page');
    await page.getByRole('button', { name: 'Preview Weekly impressions as PDF' }).click();
    await (await popup).close();
    const saving = page.waitForEvent('download');
    await page.getByTestId('preview-download').click({ timeout: 30_000 });
    const pdf = await saving;
    expect(pdf.suggestedFilename()).toBe('Weekly impressions-preview.pdf');
    const bytes = readFileSync((await pdf.path())!);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(1000);
    expect(received).toHaveLength(1);

    // Disable, then delete.
    await page.getByRole('switch', { name: 'Enabled: Weekly impressions' }).uncheck();
    await expect
      .poll(
        async () =>
          (await json<Record<string, unknown>>(headers, `/api/v1/report-schedules/${stored.id}`)).enabled,
      )
      .toBe(false);
    // The stored schedule can turn off before the page has the answer to its own request: wait
    // for the row to say so (it must, within the poll's time).
    await expect.poll(() => row.locator('td').nth(2).textContent()).toBe('paused');
    await page.getByRole('button', { name: 'Delete Weekly impressions' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText('No scheduled reports yet.').waitFor();
    expect((await json<{ schedules: unknown[] }>(headers, '/api/v1/report-schedules')).schedules).toEqual([]);
    await page.context().close();
  });

  it('shows a failed delivery with its error and a retry hint, previews CSV rows, and exports and imports the schedule file', async () => {
    const { page, headers } = await signedInPage(browser, pulse, {
      role: 'admin',
      viewport: { width: 1400, height: 1000 },
      acceptDownloads: true,
    });
    const report = await json<{ id: string }>(headers, '/api/v1/reports', {
      method: 'POST',
      body: {
        title: 'Impressions for a broken hook',
        definition: {
          version: 1,
          chart: 'bar',
          query: { metrics: ['impressions'], dimensions: ['platform'], timeRange: { preset: 'last_7_days' } },
        },
      },
    });
    const schedule = await json<{ id: string }>(headers, '/api/v1/report-schedules', {
      method: 'POST',
      body: {
        reportId: report.id,
        name: 'Broken hook',
        cron: '0 8 * * 1',
        timezone: 'UTC',
        formats: ['csv'],
        recipients: [{ type: 'webhook', url: failingUrl, secret: 'whsec-0123456789abcdef0123' }],
      },
    });
    await gotoReady(page, `${pulse.url}/reports`);
    await scheduleRow(page, 'Broken hook').waitFor();

    await page.getByRole('button', { name: 'Send Broken hook now' }).click();
    const note = page.getByTestId('schedule-note');
    await expect.poll(() => note.textContent(), { timeout: 60_000 }).toMatch(/Run (retrying|failed)/);
    const history = page.getByTestId('run-history');
    const run = history.getByTestId('run-row').first();
    await run.waitFor();
    const { runs } = await json<{ runs: { status: string; error: string }[] }>(
      headers,
      `/api/v1/report-runs?scheduleId=${schedule.id}`,
    );
    expect(runs).toHaveLength(1);
    expect(['retrying', 'failed']).toContain(runs[0]!.status);
    expect(await run.getAttribute('data-status')).toBe(runs[0]!.status);
    expect(await run.locator('td.error').textContent()).toContain(runs[0]!.error);
    expect(runs[0]!.error).toMatch(/500/);
    expect(await history.getByTestId('run-hint').textContent()).toMatch(
      runs[0]!.status === 'retrying'
        ? /Pulse retries it at .*already reached are skipped/
        : /No retries are left/,
    );
    await history.getByRole('button', { name: 'Deliveries' }).click();
    const delivery = history.getByTestId('delivery-row');
    await delivery.waitFor();
    expect(await delivery.getAttribute('data-status')).toBe('failed');
    expect(await delivery.locator('td.error').textContent()).toMatch(/500/);
    expect(await history.getByTestId('delivery-hint').textContent()).toBe(
      'Check that the webhook URL answers 2xx and verifies the signature, then press “Send now”.',
    );
    await page.screenshot({ path: join(artifacts, 'reports-failed-delivery.png'), fullPage: true });

    // The CSV preview shows the first rows of the very file a download gives.
    await page.getByRole('button', { name: 'Preview Broken hook as CSV' }).click();
    const table = page.getByTestId('preview-table');
    await table.waitFor({ timeout: 30_000 });
    const rows = await json<{ columns: string[]; rows: unknown[][] }>(
      headers,
      `/api/v1/report-schedules/${schedule.id}/preview-rows?format=csv&limit=20`,
    );
    expect(await table.locator('thead th').allTextContents()).toEqual(rows.columns);
    expect(await table.getByTestId('preview-row').count()).toBe(rows.rows.length);
    expect(rows.rows.length).toBeGreaterThan(0);

    // Export the schedule as a file, delete it, and import the file back from the page. The file
    // leaves the webhook out (its URL and secret are credentials), so an e-mail recipient is added
    // first: a schedule needs one recipient.
    await json(headers, `/api/v1/report-schedules/${schedule.id}`, {
      method: 'PATCH',
      body: {
        recipients: [
          { type: 'email', address: 'finance@acme.test' },
          { type: 'webhook', url: failingUrl, secret: 'whsec-0123456789abcdef0123' },
        ],
      },
    });
    await page.reload();
    await scheduleRow(page, 'Broken hook').waitFor();
    const saving = page.waitForEvent('download');
    await scheduleRow(page, 'Broken hook').getByTestId('export-file').click();
    const file = await saving;
    const text = readFileSync((await file.path())!, 'utf8');
    expect(text).toContain('Broken hook');
    await page.getByRole('button', { name: 'Delete Broken hook' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await expect.poll(() => scheduleRow(page, 'Broken hook').count()).toBe(0);
    await page.getByTestId('import-file').setInputFiles({
      name: 'broken-hook.yaml',
      mimeType: 'application/yaml',
      buffer: Buffer.from(text),
    });
    await expect
      .poll(() => page.getByTestId('reports-status').textContent())
      .toContain('Imported “Broken hook”');
    expect(await page.getByTestId('reports-status').textContent()).toMatch(/1 recipient was left out/);
    await scheduleRow(page, 'Broken hook').waitFor();
    await page.context().close();
  });

  it('exports the Explore result with progress and a download, and cancels a large export', async () => {
    const { page, headers } = await signedInPage(browser, pulse, {
      role: 'admin',
      viewport: { width: 1400, height: 1000 },
      acceptDownloads: true,
    });
    const query = {
      metrics: ['impressions'],
      dimensions: ['platform'],
      timeRange: { preset: 'last_7_days' },
    };
    await gotoReady(page, exploreLink(query));
    await page.getByTestId('preview-grid').locator('tbody tr').first().waitFor({ timeout: 20_000 });
    const api = await json<{ rows: { platform: string; impressions: number }[] }>(
      headers,
      '/api/v1/explore/preview',
      {
        method: 'POST',
        body: { version: 1, chart: 'table', query: { ...query, filters: [], timezone: 'UTC', limit: 1000 } },
      },
    );
    expect(api.rows.length).toBeGreaterThan(0);

    await page.getByTestId('report-title').fill('Impressions by platform');
    const exporter = page.getByRole('group', { name: 'Export' });
    await exporter.getByLabel('Export as').selectOption('csv');
    await exporter.getByRole('button', { name: 'Export', exact: true }).click();
    const progress = exporter.getByTestId('export-progress');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    expect(await exporter.getByTestId('export-status').textContent()).toBe(`Done: ${api.rows.length} rows`);
    expect(await progress.locator('progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(100);

    const download = page.waitForEvent('download');
    await exporter.getByTestId('export-download').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('Impressions-by-platform.csv');
    const lines = readFileSync((await file.path())!, 'utf8')
      .trim()
      .split(/\r?\n/);
    expect(lines).toHaveLength(api.rows.length + 1);
    const header = lines[0]!.split(',').map((h) => h.replaceAll('"', ''));
    const platformAt = header.findIndex((h) => /platform/i.test(h));
    const impressionsAt = header.findIndex((h) => /impressions/i.test(h));
    expect(platformAt).toBeGreaterThanOrEqual(0);
    expect(impressionsAt).toBeGreaterThanOrEqual(0);
    const fromFile = lines.slice(1).map((l) => {
      const cells = l.split(',').map((c) => c.replaceAll('"', ''));
      return [cells[platformAt], Number(cells[impressionsAt])];
    });
    expect(fromFile.sort()).toEqual(api.rows.map((r) => [r.platform, Number(r.impressions)]).sort());

    // A large export (every row of a day of events per user and hour) is cancelled while it runs.
    await gotoReady(
      page,
      exploreLink({
        metrics: ['product_events'],
        dimensions: ['user_id'],
        grain: 'hour',
        timeRange: { from: day, to: new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10) },
      }),
    );
    await page.getByTestId('preview-grid').locator('tbody tr').first().waitFor({ timeout: 30_000 });
    const big = page.getByRole('group', { name: 'Export' });
    await big.getByLabel('Export as').selectOption('xlsx');
    await big.getByRole('checkbox', { name: /All rows/ }).check();
    const started = page.waitForResponse(
      (r) => r.url().endsWith('/api/v1/exports') && r.request().method() === 'POST',
    );
    await big.getByRole('button', { name: 'Export', exact: true }).click();
    const job = (await (await started).json()) as { id: string };
    await big.getByRole('button', { name: 'Cancel export' }).click();
    await expect
      .poll(() => big.getByTestId('export-progress').getAttribute('data-state'), { timeout: 30_000 })
      .toBe('cancelled');
    expect(await big.getByTestId('export-status').textContent()).toBe('Export cancelled.');
    expect(await big.getByTestId('export-download').count()).toBe(0);
    const view = await json<{ state: string; rowsWritten: number }>(headers, `/api/v1/exports/${job.id}`);
    expect(view.state).toBe('cancelled');
    expect(view.rowsWritten).toBeLessThan(users * hours);
    const file409 = await fetch(`${pulse.url}/api/v1/exports/${job.id}/file`, { headers });
    expect(file409.status).toBe(409);
    await page.screenshot({ path: join(artifacts, 'explore-export-cancelled.png'), fullPage: true });

    // The Reports page lists both exports as the server keeps them, newest first.
    await gotoReady(page, `${pulse.url}/reports`);
    const list = page.getByTestId('export-list');
    await list.getByTestId('export-row').nth(1).waitFor();
    const { jobs } = await json<{ jobs: { title: string; state: string }[] }>(headers, '/api/v1/exports');
    expect(jobs.slice(0, 2).map((j) => j.state)).toEqual(['cancelled', 'done']);
    const rows = list.getByTestId('export-row');
    expect(await rows.nth(0).getAttribute('data-state')).toBe('cancelled');
    expect(await rows.nth(1).getAttribute('data-state')).toBe('done');
    expect(await rows.nth(1).getByRole('link', { name: 'Impressions-by-platform.csv' }).count()).toBe(1);
    await page.context().close();
  });
});
