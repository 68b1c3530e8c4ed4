import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPulse } from '../server/start-pulse.ts';
import { artifacts, type E2eStack, startE2eStack } from './e2e-stack.ts';
import { signedInPage } from './sign-in.ts';

let pulse: RunningPulse;
let browser: Browser;
let stack: E2eStack;

beforeAll(async () => {
  // No live demo stream: the test adds events itself, so the numbers it compares hold still.
  stack = await startE2eStack('overview');
  ({ pulse, browser } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

describe('overview page in Chromium', () => {
  it('sends an anonymous visitor to sign-in; the first-start link sets the admin password, which then signs in', async () => {
    expect(pulse.setupLink).toMatch(/\/setup\?token=/);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(pulse.setupLink!);
    const password = 'correct horse battery staple 42!';
    await page.getByLabel('New password').fill(password);
    await page.getByLabel('Repeat it').fill(password);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Your password is set for').waitFor();
    // The link is single-use.
    const reuse = await fetch(`${pulse.url}/api/v1/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: new URL(pulse.setupLink!).searchParams.get('token'), password }),
    });
    expect(reuse.status).toBe(400);

    await page.goto(`${pulse.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('E-mail').fill('admin@localhost');
    await page.getByLabel('Password').fill('wrong password entirely');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('wrong');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${pulse.url}/`);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'pulse_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
    });
    await context.close();
  });

  it('shows the same counts per family as the overview API, with the demo badge', async () => {
    const { page, headers } = await signedInPage(browser, pulse, { role: 'viewer' });
    // The page's CSP must not block anything Pulse itself serves.
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    const api = (await (await fetch(`${pulse.url}/api/v1/overview`, { headers })).json()) as {
      counts: { family: string; events: number }[];
    };
    await page.goto(pulse.url);
    await expect.poll(() => page.title()).toBe('Pulse — Overview');
    const tiles = await page
      .getByTestId('tile-value')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    expect(tiles).toEqual(api.counts.map((c) => c.events));
    expect(tiles.every((n) => n > 0)).toBe(true);
    expect(await page.getByText('Demo data').isVisible()).toBe(true);
    expect(await page.locator('table tbody tr').count()).toBeGreaterThan(5);
    const chart = page.locator('figure[aria-label^="Bar chart of events per stream family"]');
    await chart.locator('svg').waitFor({ timeout: 10_000 });
    expect(await chart.locator('svg').count()).toBe(1);
    const response = await page.goto(pulse.url);
    expect(response!.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+'/);
    expect(response!.headers()['x-frame-options']).toBe('DENY');
    await chart.locator('svg').waitFor({ timeout: 10_000 });
    expect(violations).toEqual([]);
    await page.close();
  });

  it('updates the tiles live, without a reload, when new events land', async () => {
    const { page } = await signedInPage(browser, pulse, { role: 'viewer' });
    await page.goto(pulse.url);
    await expect
      .poll(() => page.getByTestId('live-indicator').textContent(), { timeout: 10_000 })
      .toContain('live ·');
    const before = Number(await page.getByTestId('tile-value').first().getAttribute('data-value'));
    const asOfBefore = await page.getByTestId('as-of').getAttribute('datetime');
    // Through the front door: the collector, the bus and the ingester, with the demo's write key.
    const batch = Array.from({ length: 40 }, (_, i) => ({
      type: 'track',
      userId: `e2e-${i % 5}`,
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
    expect(await res.json()).toEqual({ success: true, accepted: 40, rejected: [] });
    const productEvents = 40;
    await expect
      .poll(async () => Number(await page.getByTestId('tile-value').first().getAttribute('data-value')), {
        timeout: 10_000,
      })
      .toBe(before + productEvents);
    expect(await page.getByTestId('as-of').getAttribute('datetime')).not.toBe(asOfBefore);
    // Pulse observes itself: the pipeline panel shows the ingester at work.
    expect(await page.getByTestId('pipeline-health').textContent()).toMatch(
      /Ingest rate.*events\/s.*Consumer lag.*Freshness p95/s,
    );
    await page.close();
  });

  it('renders in light and dark themes (screenshots in test-artifacts/)', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page } = await signedInPage(browser, pulse, {
        colorScheme,
        viewport: { width: 1400, height: 900 },
      });
      await page.goto(pulse.url);
      await page.locator('svg').first().waitFor();
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe(colorScheme === 'dark' ? 'rgb(11, 13, 20)' : 'rgb(246, 247, 251)');
      await page.screenshot({ path: join(artifacts, `overview-${colorScheme}.png`), fullPage: true });
      await page.close();
    }
  });

  it('lets a keyboard user reach the theme toggle and switch themes', async () => {
    const { page } = await signedInPage(browser, pulse, { colorScheme: 'light' });
    await page.goto(pulse.url);
    // The live indicator says "live" once the page is hydrated and connected.
    await expect
      .poll(() => page.getByTestId('live-indicator').textContent(), { timeout: 10_000 })
      .toContain('live ·');
    const toggle = page.getByRole('button', { name: 'Toggle light and dark theme' });
    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.close();
  });

  it('lets an admin create an API key once-shown in the admin page and find it in the audit log', async () => {
    const { page } = await signedInPage(browser, pulse, { role: 'admin' });
    await page.goto(`${pulse.url}/admin#api-keys`);
    await page.getByLabel('Name').fill('Tableau connector');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByTestId('shown-secret').textContent();
    expect(key).toMatch(/^pulse_sk_/);
    // The key works for the API, as a service account with the chosen role.
    const res = await fetch(`${pulse.url}/api/v1/metrics`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.getByLabel('Action').fill('api_key.*');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.getByTestId('audit-table').textContent()).toContain('api_key.created');
    expect(await page.getByRole('link', { name: 'Administration' }).count()).toBe(1);
    // A viewer has no Administration link, and is refused the page's data with a reason.
    const viewer = await signedInPage(browser, pulse, { role: 'viewer' });
    await viewer.page.goto(`${pulse.url}/`);
    await viewer.page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await viewer.page.getByRole('link', { name: 'Administration' }).count()).toBe(0);
    await viewer.page.goto(`${pulse.url}/admin`);
    await expect.poll(() => viewer.page.getByRole('alert').textContent()).toContain('may not do this');
    // Signing out ends the session: the next page asks to sign in again.
    await viewer.page.getByRole('button', { name: 'Sign out' }).click();
    await viewer.page.waitForURL(/\/login/);
    await viewer.page.goto(`${pulse.url}/dashboards`);
    expect(new URL(viewer.page.url()).pathname).toBe('/login');
    await viewer.page.close();
    await page.close();
  });
});
