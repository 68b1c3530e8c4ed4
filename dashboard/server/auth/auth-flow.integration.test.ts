// Sign-in as a browser does it, over HTTP: password, lockout with backoff, TOTP enrolment and
// login, CSRF, sign-out everywhere, API keys, security headers — on a real metadata store.
import { createLogger, createMetricsRegistry, loadConfig } from '@pulse/core';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../http-server.ts';
import { createTestAuth, testWorkspace } from '../testing/test-auth.ts';
import type { AuthServices } from './auth-services.ts';

let scratch: ScratchMetadata;
let auth: AuthServices;
let app: FastifyInstance;
let workspaceId: string;
let clock = new Date('2026-11-24T09:00:00Z');
const password = 'a long and unusual passphrase 7';

beforeAll(async () => {
  scratch = await createScratchMetadata();
  auth = createTestAuth(scratch.store, { now: () => clock });
  workspaceId = await testWorkspace(scratch.store);
  app = await createHttpServer(
    {
      config: loadConfig({}),
      logger: createLogger({ level: 'silent', serviceName: 'test' }),
      metrics: createMetricsRegistry(),
      version: '1.0.0',
      isDemo: false,
      readiness: [],
      overview: { countsByFamily: async () => [], latestEvents: async () => [] },
    },
    { auth, publicUrl: 'http://pulse.test' },
  );
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await scratch.cleanup();
});

/** A tiny browser: keeps the session cookie between requests like Chromium does. */
function browser() {
  let cookie: string | undefined;
  return {
    get cookie() {
      return cookie;
    },
    async request(options: InjectOptions): Promise<LightMyRequestResponse> {
      const res = await app.inject({
        ...options,
        headers: { ...(cookie ? { cookie } : {}), ...(options.headers ?? {}) },
      });
      const set = res.headers['set-cookie'];
      for (const c of [set ?? []].flat()) {
        const [pair] = c.split(';');
        cookie = pair!.endsWith('=') ? undefined : pair;
      }
      return res;
    },
  };
}
const json = { 'content-type': 'application/json' };
const sameOrigin = { 'sec-fetch-site': 'same-origin' };

async function member(email: string, role: string) {
  const user = await auth.accounts.createLocalUser(email, password, 'Member');
  await auth.members.setRole(workspaceId, user.id, role);
  return user;
}

describe('signing in over HTTP', () => {
  it('signs in with a password into an HttpOnly SameSite cookie, and out again', async () => {
    await member('ada@example.com', 'analyst');
    const b = browser();
    expect((await b.request({ url: '/api/v1/auth/me' })).statusCode).toBe(401);
    const login = await b.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: { email: 'Ada@Example.com', password },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toMatchObject({ mfa: 'none', user: { email: 'ada@example.com' } });
    expect(login.headers['set-cookie']).toMatch(/^pulse_session=[\w-]{43}; HttpOnly; SameSite=Lax; Path=\/$/);
    const me = await b.request({ url: '/api/v1/auth/me' });
    expect(me.json()).toMatchObject({
      workspace: { id: workspaceId, role: 'analyst' },
      via: 'user',
    });
    expect(me.json().permissions).toContain('sql:run');
    expect(me.json().permissions).not.toContain('members:manage');
    // A role without the permission is refused, with what it lacks.
    const denied = await b.request({ url: '/api/v1/members' });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toMatchObject({ code: 'PERMISSION_DENIED' });
    const logout = await b.request({ method: 'POST', url: '/api/v1/auth/logout', headers: sameOrigin });
    expect(logout.statusCode).toBe(200);
    expect((await b.request({ url: '/api/v1/auth/me' })).statusCode).toBe(401);
    const audit = await auth.audit.search({ action: 'auth.*' });
    expect(audit.items.map((e) => `${e.action}:${e.outcome}`)).toEqual(
      expect.arrayContaining(['auth.login:success', 'auth.logout:success']),
    );
  });

  it('locks an account out after repeated bad passwords, with a growing Retry-After', async () => {
    await member('grace@example.com', 'viewer');
    const attempt = (pw: string, ip = '10.9.0.1') =>
      app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: json,
        payload: { email: 'grace@example.com', password: pw },
        remoteAddress: ip,
      });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt(`wrong-${i}`)).statusCode);
    expect(statuses.slice(0, 4).every((s) => s === 401)).toBe(true);
    const locked = await attempt(password, '10.9.0.2');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('ACCOUNT_LOCKED');
    const first = Number(locked.headers['retry-after']);
    expect(first).toBeGreaterThan(0);
    // An attacker who keeps going after the lock ends is locked out for longer (backoff)...
    clock = new Date(clock.getTime() + (first + 1) * 1000);
    for (let i = 0; i < 6; i++) await attempt(`wrong-again-${i}`, '10.9.0.4');
    const again = await attempt(password, '10.9.0.5');
    expect(again.statusCode).toBe(429);
    const second = Number(again.headers['retry-after']);
    expect(second).toBeGreaterThan(first);
    // ...while the owner gets in with the right password once it ends.
    clock = new Date(clock.getTime() + (second + 1) * 1000);
    expect((await attempt(password, '10.9.0.3')).statusCode).toBe(200);
    const failures = await auth.audit.search({ action: 'auth.login', outcome: 'failure' });
    expect(failures.items.length).toBeGreaterThanOrEqual(6);
  });

  it('enrols TOTP with a QR code, then requires the code at sign-in (and accepts a recovery code once)', async () => {
    await member('hopper@example.com', 'editor');
    const b = browser();
    await b.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: { email: 'hopper@example.com', password },
    });
    const enrol = await b.request({ method: 'POST', url: '/api/v1/auth/mfa/enrol', headers: sameOrigin });
    expect(enrol.statusCode).toBe(200);
    const { secret, qrCodeDataUrl } = enrol.json() as { secret: string; qrCodeDataUrl: string };
    expect(qrCodeDataUrl).toMatch(/^data:image\/png;base64,/);
    const code = (at = clock) => generate({ secret, epoch: Math.floor(at.getTime() / 1000) });
    const confirmed = await b.request({
      method: 'POST',
      url: '/api/v1/auth/mfa/enrol/confirm',
      headers: { ...json, ...sameOrigin },
      payload: { code: await code() },
    });
    expect(confirmed.statusCode).toBe(200);
    const { recoveryCodes } = confirmed.json() as { recoveryCodes: string[] };
    expect(recoveryCodes).toHaveLength(10);

    const b2 = browser();
    const login = await b2.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: { email: 'hopper@example.com', password },
    });
    expect(login.json().mfa).toBe('verify');
    // Password alone opens nothing.
    const pending = await b2.request({ url: '/api/v1/auth/me' });
    expect(pending.statusCode).toBe(401);
    expect(pending.json().error.code).toBe('MFA_REQUIRED');
    const wrong = await b2.request({
      method: 'POST',
      url: '/api/v1/auth/mfa/verify',
      headers: { ...json, ...sameOrigin },
      payload: { code: '000000' },
    });
    expect(wrong.statusCode).toBe(400);
    clock = new Date(clock.getTime() + 30_000);
    const pendingCookie = b2.cookie;
    const ok = await b2.request({
      method: 'POST',
      url: '/api/v1/auth/mfa/verify',
      headers: { ...json, ...sameOrigin },
      payload: { code: await code() },
    });
    expect(ok.statusCode).toBe(200);
    // The second factor rotates the session: the pre-MFA cookie is dead.
    expect(b2.cookie).not.toBe(pendingCookie);
    expect(
      (await app.inject({ url: '/api/v1/auth/me', headers: { cookie: pendingCookie! } })).statusCode,
    ).toBe(401);
    expect((await b2.request({ url: '/api/v1/auth/me' })).json().mfa).toMatchObject({ enabled: true });

    const b3 = browser();
    await b3.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: { email: 'hopper@example.com', password },
    });
    const recovery = await b3.request({
      method: 'POST',
      url: '/api/v1/auth/mfa/verify',
      headers: { ...json, ...sameOrigin },
      payload: { code: recoveryCodes[0] },
    });
    expect(recovery.json()).toMatchObject({ ok: true, recoveryCodesLeft: 9 });
  });

  it('refuses cross-site state changes from cookie callers but not API keys', async () => {
    const user = await member('lovelace@example.com', 'admin');
    const b = browser();
    const login = await b.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: { email: user.email, password },
    });
    const csrfToken = login.json().csrfToken as string;
    const create = (headers: Record<string, string>) =>
      b.request({
        method: 'PUT',
        url: '/api/v1/roles/auditor',
        headers: { ...json, ...headers },
        payload: { permissions: ['audit:read'] },
      });
    const crossSite = await create({ 'sec-fetch-site': 'cross-site' });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.json().error.code).toBe('CSRF_FAILED');
    expect((await create({ origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await create({})).statusCode).toBe(403);
    expect((await create({ 'x-csrf-token': `${csrfToken}x` })).statusCode).toBe(403);
    expect((await create({ 'x-csrf-token': csrfToken })).statusCode).toBe(200);
    expect((await create({ 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200);

    const key = await b.request({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { ...json, ...sameOrigin },
      payload: { name: 'BI connector', role: 'auditor', expiresInDays: 30 },
    });
    expect(key.statusCode).toBe(201);
    const { key: secret, id, keyPrefix } = key.json() as { key: string; id: string; keyPrefix: string };
    expect(secret.startsWith(keyPrefix)).toBe(true);
    const stored = await scratch.store.db.query<{ key_hash: string }>(
      'SELECT key_hash FROM api_keys WHERE id = $1',
      [id],
    );
    expect(stored[0]!.key_hash).not.toContain(secret.slice(keyPrefix.length));
    const asKey = { authorization: `Bearer ${secret}` };
    // The custom role's one permission and nothing else; no CSRF token needed for a key.
    expect((await app.inject({ url: '/api/v1/audit', headers: asKey })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/v1/members', headers: asKey })).statusCode).toBe(403);
    const listed = await b.request({ url: '/api/v1/api-keys' });
    expect(listed.json().keys[0]).toMatchObject({ id, name: 'BI connector', role: 'auditor' });
    expect(listed.json().keys[0].lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed.json())).not.toContain(secret);
    const revoked = await b.request({ method: 'DELETE', url: `/api/v1/api-keys/${id}`, headers: sameOrigin });
    expect(revoked.statusCode).toBe(200);
    const after = await app.inject({ url: '/api/v1/audit', headers: asKey });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('API_KEY_UNKNOWN');
  });

  it('logs out everywhere: every session of the user ends', async () => {
    await member('turing@example.com', 'viewer');
    const sign = async () => {
      const b = browser();
      await b.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: json,
        payload: { email: 'turing@example.com', password },
      });
      return b;
    };
    const [laptop, phone] = [await sign(), await sign()];
    expect((await phone.request({ url: '/api/v1/auth/me' })).statusCode).toBe(200);
    const out = await laptop.request({
      method: 'POST',
      url: '/api/v1/auth/logout-everywhere',
      headers: sameOrigin,
    });
    expect(out.json()).toMatchObject({ ok: true, sessionsEnded: 2 });
    expect((await phone.request({ url: '/api/v1/auth/me' })).statusCode).toBe(401);
  });

  it('puts security headers on every answer and keeps the workspace to the caller’s memberships', async () => {
    const res = await app.inject({ url: '/healthz' });
    expect(res.headers).toMatchObject({
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
    });
    expect(res.headers['strict-transport-security']).toBeUndefined();
    const other = await scratch.store.workspaces.create({ slug: 'other', name: 'Other' });
    await member('knuth@example.com', 'admin');
    const b = browser();
    await b.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: { email: 'knuth@example.com', password },
    });
    const forbidden = await b.request({
      url: '/api/v1/members',
      headers: { 'x-pulse-workspace': other.slug },
    });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.code).toBe('WORKSPACE_FORBIDDEN');
    const own = await b.request({ url: '/api/v1/members', headers: { 'x-pulse-workspace': 'test' } });
    expect(own.statusCode).toBe(200);
  });
});
