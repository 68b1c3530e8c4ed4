import { join } from 'node:path';
import { kpiEvents } from '@pulse/models';
import { insertEvents } from '@pulse/warehouse';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPulse } from '../server/start-pulse.ts';
import { artifacts, type E2eStack, startE2eStack } from './e2e-stack.ts';
import { demoWorkspaceId, gotoReady, signedInPage } from './sign-in.ts';

const otherWorkspace = '0c0ffee0-0000-4000-8000-0000000000e2';
let pulse: RunningPulse;
let browser: Browser;
let stack: E2eStack;
let demoWs: string;

beforeAll(async () => {
  stack = await startE2eStack('explore');
  ({ pulse, browser } = stack);
  demoWs = await demoWorkspaceId(pulse);
  // Another tenant's events in the same tables: the SQL tab must never show them.
  await insertEvents(
    pulse.engines.warehouse,
    kpiEvents.map((e) => ({ ...e, eventId: `tenant-b-${e.eventId}`, workspaceId: otherWorkspace })),
    { dedupToken: 'explore-e2e-tenant-b' },
  );
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

async function count(query: string, ws: string): Promise<number> {
  const result = await pulse.engines.warehouse.client.query({
    query,
    query_params: { ws },
    format: 'JSONCompact',
  });
  return Number((await result.json<unknown[]>()).data[0]![0]);
}

const gridCells = (page: Page, testid: string) =>
  page
    .getByTestId(testid)
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')),
    );

describe('Explore in Chromium', () => {
  it('builds a report, saves it, reopens it and adds it to a dashboard', async () => {
    const { page, headers } = await signedInPage(browser, pulse, {
      role: 'admin',
      viewport: { width: 1400, height: 1000 },
    });
    await gotoReady(page, `${pulse.url}/explore`);
    await expect.poll(() => page.title()).toBe('Pulse — Explore');
    await page.locator('[data-metric="impressions"]').check();
    await page.locator('[data-dimension="platform"]').check();
    await page.getByRole('combobox', { name: 'Grain' }).selectOption('');
    await page.getByRole('button', { name: 'Bar', exact: true }).click();
    const chart = page.locator('figure[aria-label^="Bar chart of Impressions"]');
    await chart.locator('svg').waitFor({ timeout: 15_000 });

    // What the screen shows is what the API answers for the state in the URL.
    const q = new URL(page.url()).searchParams.get('q');
    expect(q).toBeTruthy();
    const definition = JSON.parse(Buffer.from(q!, 'base64url').toString('utf8'));
    expect(definition).toMatchObject({
      chart: 'bar',
      query: { metrics: ['impressions'], dimensions: ['platform'] },
    });
    const api = await (
      await fetch(`${pulse.url}/api/v1/explore/preview`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(definition),
      })
    ).json();
    expect(api.rows.length).toBeGreaterThan(0);
    await expect
      .poll(async () => (await gridCells(page, 'preview-grid')).length, { timeout: 10_000 })
      .toBe(api.rows.length);
    const platforms = (await gridCells(page, 'preview-grid')).map((r) => r[0]).sort();
    expect(platforms).toEqual(api.rows.map((r: { platform: string }) => r.platform).sort());

    // The link is the report: another signed-in person opening it sees the same rows.
    const shared = await signedInPage(browser, pulse, { role: 'analyst' });
    await gotoReady(shared.page, page.url());
    await shared.page
      .locator('figure[aria-label^="Bar chart of Impressions"] svg')
      .waitFor({ timeout: 15_000 });
    await expect
      .poll(async () => (await gridCells(shared.page, 'preview-grid')).map((r) => r[0]).sort(), {
        timeout: 10_000,
      })
      .toEqual(platforms);
    await shared.page.close();

    await page.getByTestId('report-title').fill('Impressions by platform (e2e)');
    await page.getByRole('button', { name: 'Save report' }).click();
    await expect
      .poll(() => page.getByTestId('explore-status').textContent())
      .toContain('Saved “Impressions by platform (e2e)”');
    await expect.poll(() => new URL(page.url()).searchParams.get('report')).toMatch(/^[0-9a-f-]{36}$/);
    const reportId = new URL(page.url()).searchParams.get('report')!;
    await page.screenshot({ path: join(artifacts, 'explore-report.png'), fullPage: true });

    // Reopen from the saved report alone (no state in the link).
    await gotoReady(page, `${pulse.url}/explore?report=${reportId}`);
    await expect
      .poll(() => page.getByTestId('report-title').inputValue(), { timeout: 10_000 })
      .toBe('Impressions by platform (e2e)');
    expect(await page.locator('[data-metric="impressions"]').isChecked()).toBe(true);
    await page.locator('figure[aria-label^="Bar chart of Impressions"] svg').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('saved-report').allTextContents()).toContain(
      'Impressions by platform (e2e)',
    );

    // A viewer (no Explore) opening the saved report's link sees its numbers, read-only.
    const viewer = await signedInPage(browser, pulse, { role: 'viewer' });
    await gotoReady(viewer.page, `${pulse.url}/explore?report=${reportId}`);
    await expect
      .poll(async () => (await gridCells(viewer.page, 'preview-grid')).map((r) => r[0]).sort(), {
        timeout: 15_000,
      })
      .toEqual(platforms);
    expect(await viewer.page.getByTestId('explore-notice').textContent()).toContain(
      'viewing the saved report',
    );
    await viewer.page.close();

    const dashboardSelect = page.getByRole('combobox', { name: 'Dashboard to add the report to' });
    await expect
      .poll(() => dashboardSelect.locator('option').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    const slug = await dashboardSelect.inputValue();
    await page.getByRole('button', { name: 'Add to dashboard' }).click();
    await expect.poll(() => page.getByTestId('explore-status').textContent()).toContain('Added to');
    const dashboard = await (await fetch(`${pulse.url}/api/v1/dashboards/${slug}`, { headers })).json();
    const tile = dashboard.definition.tiles.find(
      (t: { data: { reportId?: string } }) => t.data.reportId === reportId,
    );
    expect(tile).toMatchObject({
      type: 'bar',
      title: 'Impressions by platform (e2e)',
      data: { kind: 'report', reportId },
    });
    // And the dashboard draws it, from the saved report.
    await gotoReady(page, `${pulse.url}/dashboards/${slug}`);
    const drawn = page.getByTestId('tile').filter({ hasText: 'Impressions by platform (e2e)' });
    await drawn.locator('svg').first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(artifacts, 'explore-tile-on-dashboard.png'), fullPage: true });
    await page.close();
  });
});

describe('SQL tab in Chromium', () => {
  const run = async (page: Page, sql: string) => {
    // The Run button is enabled once the page is hydrated: typing before that could be reset, and
    // a click would do nothing (a busy CI machine once left the grid empty for 30 s that way).
    await expect.poll(() => page.getByTestId('sql-run').isEnabled(), { timeout: 30_000 }).toBe(true);
    await page.getByTestId('sql-editor').fill(sql);
    await page.getByTestId('sql-run').click();
  };

  it('runs a query and shows its rows, the workspace’s only', async () => {
    const { page } = await signedInPage(browser, pulse, { role: 'analyst' });
    page.on('console', (m) => console.log('CONSOLE', m.type(), m.text()));
    page.on('pageerror', (e) => console.log('PAGEERROR', e.message));
    await gotoReady(page, `${pulse.url}/sql`);
    await expect.poll(() => page.getByTestId('schema-table').count(), { timeout: 30_000 }).toBeGreaterThan(5);
    const own = await count('SELECT count() FROM product_events WHERE workspace_id = {ws:String}', demoWs);
    expect(own).toBeGreaterThan(0);
    await run(page, 'SELECT count() AS events FROM product_events');
    // 30 s like the other page waits on a busy CI machine.
    await expect.poll(() => gridCells(page, 'sql-grid'), { timeout: 30_000 }).toEqual([[String(own)]]);

    await run(page, 'SELECT type, count() AS n FROM product_events GROUP BY type ORDER BY n DESC');
    await expect
      .poll(async () => (await gridCells(page, 'sql-grid')).length, { timeout: 10_000 })
      .toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Bar', exact: true }).click();
    await page
      .locator('figure[aria-label="Bar chart of the query results"] svg')
      .waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(artifacts, 'sql-tab.png'), fullPage: true });
    await page.close();
  });

  it('returns nothing of another workspace, even when asked for it by id', async () => {
    const theirs = await count(
      'SELECT count() FROM product_events WHERE workspace_id = {ws:String}',
      otherWorkspace,
    );
    expect(theirs).toBeGreaterThan(0);
    const { page } = await signedInPage(browser, pulse, { role: 'analyst' });
    await gotoReady(page, `${pulse.url}/sql`);
    await run(page, `SELECT count() AS n FROM product_events WHERE workspace_id = '${otherWorkspace}'`);
    // 30 s like the other page waits on a busy CI machine.
    await expect.poll(() => gridCells(page, 'sql-grid'), { timeout: 30_000 }).toEqual([['0']]);
    await run(
      page,
      "SELECT count() FROM (SELECT * FROM product_events SETTINGS additional_table_filters = {'product_events': '1'})",
    );
    await expect
      .poll(() => page.getByTestId('sql-error').textContent(), { timeout: 10_000 })
      .toContain('a SETTINGS clause cannot be used');
    await run(page, 'SELECT nope FROM product_events');
    await expect
      .poll(() => page.getByTestId('sql-error').textContent(), { timeout: 10_000 })
      .toMatch(/Unknown expression identifier `nope`.*schema browser/s);
    await page.close();
  });
});
