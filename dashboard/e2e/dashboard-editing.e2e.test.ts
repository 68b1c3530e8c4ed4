import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardDefinition } from '../server/dashboards/definition.ts';
import type { RunningPulse } from '../server/start-pulse.ts';
import { artifacts, type E2eStack, startE2eStack } from './e2e-stack.ts';
import { signedInPage } from './sign-in.ts';

// Editing a dashboard in Chromium: duplicate a built-in one, rename it, add, resize, reorder and
// remove tiles, export and import it back, drill down by clicking a bar, and look at it on a
// tablet and a wall screen. The tests run in order on one copy, each building on the last.

const view = 'range=last_30_days&tz=UTC&compare=1';
const copySlug = 'exec-e2e';
let pulse: RunningPulse;
let browser: Browser;
let stack: E2eStack;
let headers: Record<string, string>;

interface Stored {
  slug: string;
  title: string;
  revision: number;
  definition: DashboardDefinition;
}

beforeAll(async () => {
  stack = await startE2eStack('dashboard-editing', { demoDays: 30 });
  ({ pulse, browser } = stack);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

async function open(
  path: string,
  viewport: { width: number; height: number } = { width: 1440, height: 1000 },
): Promise<Page> {
  const signedIn = await signedInPage(browser, pulse, { role: 'admin', viewport });
  headers = signedIn.headers;
  // Removing a tile asks for confirmation; the test says yes.
  signedIn.page.on('dialog', (dialog) => void dialog.accept().catch(() => {}));
  await signedIn.page.goto(`${pulse.url}${path}`);
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

async function stored(slug: string): Promise<Stored> {
  const res = await fetch(`${pulse.url}/api/v1/dashboards/${slug}`, { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as Stored;
}

/** The tiles as the page shows them: id and grid spans, in order. */
const shownTiles = (page: Page) =>
  page
    .getByTestId('tile')
    .evaluateAll((tiles) =>
      tiles.map((t) => [
        t.getAttribute('data-tile-id'),
        (t as HTMLElement).style.gridColumn,
        (t as HTMLElement).style.gridRow,
      ]),
    );
const storedTiles = (d: Stored) =>
  d.definition.tiles.map((t) => [t.id, `span ${t.layout.w}`, `span ${t.layout.h}`]);

describe('editing dashboards in Chromium', () => {
  it('duplicates a built-in dashboard, renames it, adds, resizes, reorders and removes tiles; a reload shows what was saved', async () => {
    const page = await open(`/dashboards/executive-overview?${view}`);
    await settled(page);
    const builtIn = await stored('executive-overview');

    // Duplicate: a labelled dialog, not a prompt().
    await page.getByRole('button', { name: 'Duplicate' }).click();
    const duplicate = page.getByRole('dialog', { name: /Duplicate/ });
    await expect.poll(() => duplicate.isVisible()).toBe(true);
    await duplicate.getByLabel('Name of the copy').fill('Executive board (e2e)');
    await duplicate.getByLabel('Address of the copy').fill(copySlug);
    await duplicate.getByLabel('Address of the copy').press('Enter');
    await page.waitForURL(new RegExp(`/dashboards/${copySlug}\\?`));
    await settled(page);
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('Executive board (e2e)');

    await page.getByRole('button', { name: 'Edit' }).click();

    // Rename: Escape cancels without a change, Enter saves.
    await page.getByRole('button', { name: 'Rename' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename this dashboard' });
    await rename.getByLabel('Name').fill('Not this name');
    await page.keyboard.press('Escape');
    await expect.poll(() => rename.count()).toBe(0);
    expect((await stored(copySlug)).title).toBe('Executive board (e2e)');
    await page.getByRole('button', { name: 'Rename' }).click();
    await expect.poll(() => rename.getByLabel('Name').inputValue()).toBe('Executive board (e2e)');
    await rename.getByLabel('Name').fill('Board room');
    await rename.getByLabel('Name').press('Enter');
    await expect.poll(() => rename.count()).toBe(0);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Board room');

    // Add a bar tile: engagements by platform.
    const add = page.getByRole('form', { name: 'Add a tile' });
    await add.getByLabel('Type').selectOption('bar');
    await expect.poll(() => add.getByLabel('Metric').locator('option').count()).toBeGreaterThan(1);
    await add.getByLabel('Metric').selectOption('engagements');
    await add.getByLabel('Breakdown').selectOption('platform');
    await add.getByRole('button', { name: 'Add tile' }).click();
    await expect
      .poll(async () => (await stored(copySlug)).definition.tiles.length)
      .toBe(builtIn.definition.tiles.length + 1);
    const added = (await stored(copySlug)).definition.tiles.at(-1);
    expect(added?.type).toBe('bar');
    expect(added?.data).toMatchObject({
      kind: 'metric',
      query: { metrics: ['engagements'], dimensions: ['platform'] },
    });
    await expect.poll(() => page.locator(`[data-tile-id="${added?.id}"]`).count()).toBe(1);

    // Resize the first tile: one column wider, one row taller.
    const first = builtIn.definition.tiles[0];
    const second = builtIn.definition.tiles[1];
    const removed = builtIn.definition.tiles[2];
    if (!first || !second || !removed) throw new Error('the executive overview has fewer than 3 tiles');
    const firstTile = page.locator(`[data-tile-id="${first.id}"]`);
    await firstTile.getByRole('button', { name: 'Wider' }).click();
    await expect
      .poll(async () => (await stored(copySlug)).definition.tiles[0]?.layout.w)
      .toBe(first.layout.w + 1);
    await firstTile.getByRole('button', { name: 'Taller' }).click();
    await expect
      .poll(async () => (await stored(copySlug)).definition.tiles[0]?.layout.h)
      .toBe(first.layout.h + 1);

    // Reorder: the first tile moves after the second.
    await firstTile.getByRole('button', { name: `Move ${first.title} later` }).click();
    await expect
      .poll(async () => (await stored(copySlug)).definition.tiles.slice(0, 2).map((t) => t.id))
      .toEqual([second.id, first.id]);

    // Remove the third built-in tile.
    await page.getByRole('button', { name: `Remove ${removed.title}` }).click();
    await expect
      .poll(async () => (await stored(copySlug)).definition.tiles.some((t) => t.id === removed.id))
      .toBe(false);
    await expect.poll(() => page.locator(`[data-tile-id="${removed.id}"]`).count()).toBe(0);

    // A reload shows exactly what the API stored.
    // Reload once the last save (and the data fetched after it) is done.
    await expect.poll(() => page.getByText('Saving…').count()).toBe(0);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await settled(page);
    const saved = await stored(copySlug);
    expect(saved.title).toBe('Board room');
    expect(saved.definition.tiles.map((t) => t.id)).toEqual([
      second.id,
      first.id,
      ...builtIn.definition.tiles.slice(3).map((t) => t.id),
      added?.id,
    ]);
    expect(saved.definition.tiles[1]?.layout).toEqual({ w: first.layout.w + 1, h: first.layout.h + 1 });
    expect(await shownTiles(page)).toEqual(storedTiles(saved));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Board room');
    // The built-in dashboard itself is unchanged.
    expect((await stored('executive-overview')).definition.tiles).toEqual(builtIn.definition.tiles);
    await page.close();
  }, 180_000);

  it('exports the dashboard as a file and imports it back as a new dashboard', async () => {
    const page = await open(`/dashboards/${copySlug}?${view}`);
    await settled(page);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export' }).click(),
    ]);
    const file = join(artifacts, download.suggestedFilename());
    await download.saveAs(file);
    expect(download.suggestedFilename()).toBe(`${copySlug}.dashboard.yaml`);
    const exported = parseYaml(readFileSync(file, 'utf8')) as DashboardDefinition & { version: number };
    const original = await stored(copySlug);
    expect(exported.slug).toBe(copySlug);
    expect(exported.tiles).toEqual(original.definition.tiles);

    await page.goto(`${pulse.url}/dashboards`);
    await page.getByRole('link', { name: 'Board room' }).waitFor();
    await page.getByTestId('import-file').setInputFiles(file);
    const dialog = page.getByRole('dialog', { name: `Import ${copySlug}.dashboard.yaml` });
    // The slug is in use, so the dialog offers a free one: importing never overwrites.
    await expect.poll(() => dialog.getByLabel('Address').inputValue()).toBe(`${copySlug}-imported`);
    await dialog.getByLabel('Name').fill('Board room (imported)');
    await dialog.getByRole('button', { name: 'Import' }).click();
    await page.waitForURL(new RegExp(`/dashboards/${copySlug}-imported`));
    await settled(page);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Board room (imported)');
    const imported = await stored(`${copySlug}-imported`);
    expect(imported.definition.tiles).toEqual(original.definition.tiles);
    expect(await shownTiles(page)).toEqual(storedTiles(imported));
    // The original is untouched.
    expect((await stored(copySlug)).revision).toBe(original.revision);
    await page.close();
  }, 120_000);

  it('drills down to a platform’s breakdown and posts by clicking its bar', async () => {
    const page = await open(`/dashboards/${copySlug}?${view}`);
    await settled(page);
    const barTile = (await stored(copySlug)).definition.tiles.find(
      (t) => t.type === 'bar' && t.title.includes('platform'),
    );
    if (!barTile) throw new Error('the bar tile added by the first test is missing');
    const res = await fetch(`${pulse.url}/api/v1/dashboards/${copySlug}/data?${view}`, { headers });
    const data = (await res.json()) as {
      tiles: { id: string; metric?: { rows: Record<string, string | number>[] } }[];
    };
    const rows = data.tiles.find((t) => t.id === barTile.id)?.metric?.rows ?? [];
    expect(rows.length).toBeGreaterThan(1);
    const top = [...rows].sort((a, b) => Number(b.engagements) - Number(a.engagements))[0];
    const platform = String(top?.platform);

    // The longest bar starts at the axis, right of its label, and runs most of the chart's width.
    const chart = page.locator(`[data-tile-id="${barTile.id}"] [data-testid="tile-chart"]`);
    await chart.scrollIntoViewIfNeeded();
    const label = chart.locator('svg text').filter({ hasText: new RegExp(`^${platform}$`) });
    const labelBox = await label.boundingBox();
    const chartBox = await chart.boundingBox();
    if (!labelBox || !chartBox) throw new Error('the bar chart is not on screen');
    const right = labelBox.x + labelBox.width;
    await page.mouse.click(
      right + 0.25 * (chartBox.x + chartBox.width - right),
      labelBox.y + labelBox.height / 2,
    );

    const drill = page.getByTestId('drill');
    await drill.getByTestId('drill-rows').waitFor();
    expect(await drill.getByRole('heading', { level: 2 }).textContent()).toBe(`${barTile.title} by platform`);
    expect(await drill.locator('tr.selected td').first().textContent()).toBe(platform);
    expect(await drill.getByRole('heading', { level: 3 }).textContent()).toContain(
      `where platform = ${platform}`,
    );
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

  it('lays the edited dashboard out on a tablet and on a wall screen (screenshots)', async () => {
    for (const [name, viewport] of [
      ['tablet', { width: 768, height: 1024 }],
      ['wall', { width: 2560, height: 1440 }],
    ] as const) {
      const page = await open(`/dashboards/${copySlug}?${view}`, viewport);
      await settled(page);
      expect(await page.locator('[data-testid="tile"][data-status="error"]').count()).toBe(0);
      // Nothing sticks out sideways: the page is as wide as the screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        viewport.width,
      );
      await page.screenshot({ path: join(artifacts, `dashboard-editing-${name}.png`), fullPage: true });
      await page.close();
    }
  }, 120_000);
});
