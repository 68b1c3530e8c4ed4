import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type AuditLog, createAuditLog } from '@pulse/core/audit/index';
import {
  createOidcService,
  createSessionService,
  type OidcService,
  readSessionCookie,
  type SessionService,
  sessionCookie,
  sessionCookieName,
} from '@pulse/core/auth/index';
import {
  authorizeAtProvider,
  type OidcTestProvider,
  startOidcTestProvider,
} from '@pulse/core/auth/testing/oidc-test-provider';
import { createTestBrowser, type TestBrowser } from '@pulse/core/auth/testing/test-browser';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcStateCookieName, registerOidcRoutes } from './oidc-routes.ts';

let scratch: ScratchMetadata;
let provider: OidcTestProvider;
let app: FastifyInstance;
let sessions: SessionService;
let audit: AuditLog;
let pulseUrl: string;
let redirectUri: string;
let workspaceId: string;
const routeAccess = new Map<string, unknown>();

beforeAll(async () => {
  scratch = await createScratchMetadata();
  workspaceId = (await scratch.store.workspaces.create({ slug: 'acme', name: 'Acme' })).id;
  sessions = createSessionService(scratch.store.db);
  audit = createAuditLog(scratch.store.db);
  app = Fastify();
  app.addHook('onRoute', (r) => {
    if (r.method === 'GET') routeAccess.set(r.url, r.config?.access);
  });
  // Pulse's address is known only once it listens, and the provider must know the redirect URI
  // at start, so the routes reach the service through this forwarder.
  let service: OidcService | undefined;
  const oidc: OidcService = {
    get redirectUri() {
      return service?.redirectUri ?? 'http://127.0.0.1/auth/oidc/callback';
    },
    begin: (returnTo) => service!.begin(returnTo),
    complete: (url, blob) => service!.complete(url, blob),
  };
  registerOidcRoutes(app, {
    oidc,
    audit,
    // What the HTTP auth layer does on sign-in: a fresh server-side session and its cookie.
    signIn: async (request, reply, who) => {
      const id = await sessions.createSession(who.userId, { sourceIp: request.ip });
      reply.header('set-cookie', sessionCookie(id, { secure: false }));
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  pulseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  redirectUri = `${pulseUrl}/auth/oidc/callback`;
  const clientSecret = randomBytes(32).toString('base64url');
  provider = await startOidcTestProvider({
    clients: [{ clientId: 'pulse-web', clientSecret, redirectUri }],
    accounts: {
      ada: { email: 'ada@example.com', emailVerified: true, groups: ['pulse-analysts'] },
      bob: { email: 'bob@example.com', emailVerified: true, groups: ['marketing'] },
    },
  });
  service = createOidcService({
    config: {
      issuer: provider.issuer,
      clientId: 'pulse-web',
      clientSecret,
      scopes: ['openid', 'email', 'groups'],
      roleClaim: 'groups',
      roleMap: { 'pulse-analysts': 'analyst', 'pulse-admins': 'admin' },
      defaultRole: undefined,
    },
    metadata: scratch.store,
    publicUrl: pulseUrl,
    secretKey: randomBytes(32),
  });
});
afterAll(async () => {
  await app?.close();
  await provider?.close();
  await scratch?.cleanup();
});

/** Start at Pulse, pass the provider, and come back to Pulse's callback; returns the callback response. */
async function signInThroughPulse(browser: TestBrowser, login: string, decision: 'allow' | 'deny' = 'allow') {
  const start = await browser.fetch(
    `${pulseUrl}/auth/oidc/start?returnTo=${encodeURIComponent('/reports/7?tab=runs')}`,
  );
  expect(start.status).toBe(302);
  const callbackUrl = await authorizeAtProvider(browser, start.headers.get('location') ?? '', {
    redirectUri,
    login,
    decision,
  });
  const stateBlob = browser.cookie(pulseUrl, oidcStateCookieName);
  return { callbackUrl, stateBlob, response: await browser.fetch(callbackUrl) };
}

describe('OIDC sign-in routes', () => {
  it('declares both routes public, with a reason', () => {
    for (const url of ['/auth/oidc/start', '/auth/oidc/callback'])
      expect(routeAccess.get(url)).toMatchObject({ public: true, reason: expect.any(String) });
  });

  it('starts with a redirect to the provider and a sealed, HttpOnly, Lax state cookie scoped to /auth/oidc', async () => {
    const res = await fetch(`${pulseUrl}/auth/oidc/start?returnTo=/dashboards`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location') ?? '').origin).toBe(provider.issuer);
    const [cookie] = res.headers.getSetCookie();
    expect(cookie).toMatch(new RegExp(`^${oidcStateCookieName}=v1\\.`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/auth/oidc');
    // Sealed: the PKCE verifier and the return path are not readable from the cookie.
    expect(cookie).not.toContain('dashboards');
  });

  it('signs a provisioned user in with a session cookie and returns to where they started', async () => {
    const browser = createTestBrowser();
    const { response } = await signInThroughPulse(browser, 'ada');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/reports/7?tab=runs');
    const setCookies = response.headers.getSetCookie();
    expect(setCookies.some((c) => c.startsWith(`${oidcStateCookieName}=;`) && c.includes('Max-Age=0'))).toBe(
      true,
    );
    const sessionId = readSessionCookie(setCookies.find((c) => c.startsWith(`${sessionCookieName}=`)));
    expect(sessionId).toBeDefined();
    const check = await sessions.validate(sessionId ?? '');
    expect(check.valid && check.user.email).toBe('ada@example.com');
    const user = await scratch.store.users.getByEmail('ada@example.com');
    expect(await scratch.store.users.memberships(user?.id ?? '')).toEqual([
      { workspaceId, userId: user?.id, role: 'analyst' },
    ]);
  });

  it('refuses a replayed callback with a readable page and no session', async () => {
    const browser = createTestBrowser();
    const { callbackUrl, stateBlob, response } = await signInThroughPulse(browser, 'ada');
    expect(response.status).toBe(302);
    browser.setCookie(pulseUrl, oidcStateCookieName, stateBlob ?? '');
    const replay = await browser.fetch(callbackUrl, { headers: { accept: 'text/html' } });
    expect(replay.status).toBe(400);
    expect(replay.headers.get('content-type')).toContain('text/html');
    const page = await replay.text();
    expect(page).toContain('Sign-in failed');
    expect(page).toContain('Start the sign-in again');
    expect(replay.headers.getSetCookie().some((c) => c.startsWith(`${sessionCookieName}=`))).toBe(false);
  });

  it('refuses a tampered state cookie, answering JSON to a JSON caller', async () => {
    const browser = createTestBrowser();
    const start = await browser.fetch(`${pulseUrl}/auth/oidc/start`);
    const callbackUrl = await authorizeAtProvider(browser, start.headers.get('location') ?? '', {
      redirectUri,
      login: 'ada',
    });
    const blob = browser.cookie(pulseUrl, oidcStateCookieName) ?? '';
    browser.setCookie(pulseUrl, oidcStateCookieName, `${blob.slice(0, 20)}${blob.slice(21)}`);
    const res = await browser.fetch(callbackUrl, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'SSO_STATE_INVALID', hint: expect.any(String) },
    });
  });

  it('explains a user with no mapped role, signs nobody in and audits the refusal', async () => {
    const { response } = await signInThroughPulse(createTestBrowser(), 'bob');
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('PULSE_OIDC_ROLE_MAP');
    expect(response.headers.getSetCookie().some((c) => c.startsWith(`${sessionCookieName}=`))).toBe(false);
    const refused = await audit.search({ outcome: 'denied' });
    expect(refused.items.map((e) => [e.action, e.details])).toContainEqual([
      'auth.login',
      { method: 'oidc', reason: 'SSO_NO_ROLE' },
    ]);
  });

  it('explains a sign-in cancelled at the provider', async () => {
    const { response } = await signInThroughPulse(createTestBrowser(), 'ada', 'deny');
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('cancelled at the identity provider');
  });

  it('refuses to start with a returnTo that leaves the site', async () => {
    for (const returnTo of ['https://evil.example/', '//evil.example/', '/\\evil.example']) {
      const res = await fetch(`${pulseUrl}/auth/oidc/start?returnTo=${encodeURIComponent(returnTo)}`, {
        redirect: 'manual',
        headers: { accept: 'application/json' },
      });
      expect(res.status, returnTo).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'SSO_RETURN_TO_INVALID' } });
    }
  });

  it('refuses a callback without a state cookie', async () => {
    const res = await fetch(`${redirectUri}?code=abc&state=def`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'SSO_STATE_INVALID' } });
  });
});
