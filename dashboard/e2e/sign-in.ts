// E2E helpers: a real user with a real session, signed in to a Chromium context by its cookie,
// and the same caller's headers for API calls made by the test itself.
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import type { RunningPulse } from '../server/start-pulse.ts';
import { sessionCaller } from '../server/testing/test-auth.ts';

export interface SignedIn {
  context: BrowserContext;
  /** Headers for fetch() from the test as the same user (cookie, CSRF token). */
  headers: Record<string, string>;
  userId: string;
  email: string;
}

/** The demo workspace, where `npm start` puts its data. */
export async function demoWorkspaceId(pulse: RunningPulse): Promise<string> {
  const ws = await pulse.engines.metadata.workspaces.getBySlug('demo');
  if (!ws) throw new Error('no demo workspace');
  return ws.id;
}

/** A new browser context signed in as a fresh user with `role` in the demo workspace. */
export async function signIn(
  browser: Browser,
  pulse: RunningPulse,
  options: BrowserContextOptions & { role?: string; attributes?: Record<string, string> } = {},
): Promise<SignedIn> {
  const { role = 'admin', attributes, ...contextOptions } = options;
  const caller = await sessionCaller(pulse.auth, await demoWorkspaceId(pulse), role, { attributes });
  const context = await browser.newContext(contextOptions);
  await context.addCookies([
    { name: caller.cookieName, value: caller.cookieValue, url: pulse.url, httpOnly: true, sameSite: 'Lax' },
  ]);
  return {
    context,
    headers: { cookie: caller.cookie, 'x-csrf-token': caller.csrfToken },
    userId: caller.userId,
    email: caller.email,
  };
}

/** A page in a new signed-in context; closing the page closes its context too. */
export async function signedInPage(
  browser: Browser,
  pulse: RunningPulse,
  options: BrowserContextOptions & { role?: string } = {},
): Promise<{ page: Page; headers: Record<string, string> }> {
  const { context, headers } = await signIn(browser, pulse, options);
  const page = await context.newPage();
  // The browser may already be closing at the end of a file: nothing is left to clean up then.
  page.on('close', () => context.close().catch(() => {}));
  return { page, headers };
}

/**
 * Opens `url` and waits until the app is hydrated (the root layout marks `<html data-hydrated>`):
 * before that the server-rendered controls are on screen but a click does nothing, and what is
 * typed can be reset by hydration.
 */
export async function gotoReady(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached', timeout: 30_000 });
}
