import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltInDashboards } from '../server/dashboards/dashboard-store.ts';
import type { RunningPulse } from '../server/start-pulse.ts';
import { artifacts, type E2eStack, startE2eStack } from './e2e-stack.ts';
import { signedInPage } from './sign-in.ts';

let pulse: RunningPulse;
let browser: Browser;
let stack: E2eStack;
let headers: Record<string, string>;
const view = 'range=last_30_days&tz=UTC&compare=1';

beforeAll(async () => {
  // No live demo stream: the test adds events itself, so the numbers it compares hold still.
  stack = await startE2eStack('dashboards', { demoDays: 30 });
  ({ pulse, browser } = stack);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

async function open(slug: string, query = view, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const signedIn = await signedInPage(browser, pulse, {
    role: 'admin',
    colorScheme,
    viewport: { width: 1440, height: 1000 },
  });
  headers = signedIn.headers;
  await signedIn.page.goto(`${pulse.url}/dashboards/${slug}?${query}`);
  await settled(signedIn.page);
  return signedIn.page;
}

/** Every tile has its data (or its error) and the live indicator shows a time. */
async function settled(page: Page): Promise<void> {
  await page.getByTestId('tile').first().waitFor();
  await expect
    .poll(() => page.locator('[data-testid="tile"][data-status="loading"]').count(), { timeout: 30_000 })
    .toBe(0);
  await expect
    .poll(() => page.getByTestId('live-indicator').textContent(), { timeout: 10_000 })
    .toContain('live ·');
}

const apiQuery = async (body: object) => {
  const res = await fetch(`${pulse.url}/api/v1/metrics/query`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { rows: Record<string, number | string | null>[] };
};

describe('dashboards in Chromium', () => {
  it('opens each built-in dashboard with the metric API’s numbers; screenshots light and dark', async () => {
    for (const dashboard of loadBuiltInDashboards()) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const page = await open(dashboard.slug, view, colorScheme);
        expect(await page.locator('[data-testid="tile"][data-status="error"]').count(), dashboard.slug).toBe(
          0,
        );
        expect(await page.getByTestId('tile').count()).toBe(dashboard.tiles.length);
        if (colorScheme === 'light') {
          for (const tile of dashboard.tiles.filter((t) => t.type === 'kpi' && t.data.kind === 'metric')) {
            if (tile.data.kind !== 'metric') continue;
            const metric = tile.data.query.metrics[0] as string;
            const api = await apiQuery({
              metrics: [metric],
              timeRange: { preset: 'last_30_days' },
              timezone: 'UTC',
            });
            // A total is always one row (0 deals won is a number, not an absence), so every KPI
            // tile shows the API's value.
            expect(api.rows, `${dashboard.slug}/${tile.id}`).toHaveLength(1);
            const tileOnPage = page.locator(`[data-tile-id="${tile.id}"]`);
            const shown = await tileOnPage.getByTestId('kpi-value').getAttribute('data-value');
            expect(shown, `${dashboard.slug}/${tile.id}`).toBe(String(api.rows[0]?.[metric] ?? ''));
          }
        }
        await page.screenshot({
          path: join(artifacts, `dashboard-${dashboard.slug}-${colorScheme}.png`),
          fullPage: true,
        });
        await page.close();
      }
    }
  }, 240_000);

  it('changes every tile when a filter is applied, and keeps the filter in the URL', async () => {
    const page = await open('social-performance');
    const before = await page
      .getByTestId('tile')
      .evaluateAll((tiles) =>
        tiles.map((t) => [t.getAttribute('data-tile-id'), t.getAttribute('data-signature')]),
      );
    await expect.poll(() => page.getByTestId('filter-platform').locator('option').count()).toBeGreaterThan(2);
    await page.getByTestId('filter-platform').selectOption('linkedin');
    await page.waitForURL(/f=platform%3Aeq%3Alinkedin/);
    await settled(page);
    await expect
      .poll(
        async () => {
          const after = new Map(
            await page
              .getByTestId('tile')
              .evaluateAll((tiles) =>
                tiles.map((t) => [t.getAttribute('data-tile-id'), t.getAttribute('data-signature')] as const),
              ),
          );
          return before.filter(([id, signature]) => after.get(id) === signature).map(([id]) => id);
        },
        { timeout: 15_000 },
      )
      .toEqual([]);
    // The link is the view: opening it elsewhere shows the filter chosen.
    const shared = await open('social-performance', new URL(page.url()).search.slice(1));
    expect(await shared.getByTestId('filter-platform').inputValue()).toBe('linkedin');
    await shared.close();
    await page.close();
  }, 120_000);

  it('drills down from a tile to a breakdown and on to the underlying rows', async () => {
    const page = await open('social-performance');
    await page.getByRole('button', { name: 'Drill down into Impressions', exact: true }).click();
    const drill = page.getByTestId('drill');
    await drill.getByTestId('drill-breakdown').waitFor();
    const first = drill.getByTestId('drill-breakdown').locator('tbody button').first();
    const platform = (await first.textContent())?.trim();
    await first.click();
    await drill.getByTestId('drill-rows').waitFor();
    const platforms = await drill
      .getByTestId('drill-rows')
      .locator('tbody tr td:nth-child(2)')
      .allTextContents();
    expect(platforms.length).toBeGreaterThan(0);
    expect(new Set(platforms)).toEqual(new Set([platform]));
    await page.keyboard.press('Escape');
    await expect.poll(() => drill.count()).toBe(0);
    await page.close();
  }, 120_000);

  it('updates a tile on screen after events reach the collector, without a reload', async () => {
    const page = await open('product-usage', 'range=today&tz=UTC&compare=0');
    const value = () =>
      page.locator('[data-tile-id="events"] [data-testid="kpi-value"]').getAttribute('data-value');
    const before = Number((await value()) || 0);
    let reloaded = false;
    page.on('framenavigated', () => (reloaded = true));
    const batch = Array.from({ length: 25 }, (_, i) => ({
      type: 'track',
      userId: `dash-e2e-${i % 5}`,
      event: 'Dashboard Viewed',
      properties: { i },
    }));
    const res = await fetch(`${pulse.url}/v1/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${pulse.newWriteKeys.product}:`).toString('base64')}`,
      },
      body: JSON.stringify({ batch }),
    });
    expect(await res.json()).toEqual({ success: true, accepted: 25, rejected: [] });
    await expect.poll(async () => Number(await value()), { timeout: 20_000 }).toBe(before + 25);
    expect(reloaded).toBe(false);
    await page.close();
  }, 120_000);
});
