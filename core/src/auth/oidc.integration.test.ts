import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OidcConfig } from '../config/index.ts';
import { isPulseError } from '../errors/index.ts';
import type { Workspace } from '../metadata/index.ts';
import { createScratchMetadata, type ScratchMetadata } from '../testing/scratch-metadata.ts';
import { createOidcService, type OidcService, safeReturnTo } from './oidc.ts';
import {
  authorizeAtProvider,
  type OidcTestProvider,
  startOidcTestProvider,
} from './testing/oidc-test-provider.ts';
import { createTestBrowser, type TestBrowser } from './testing/test-browser.ts';

const publicUrl = 'http://127.0.0.1:3999';
const redirectUri = `${publicUrl}/auth/oidc/callback`;
const clientSecret = randomBytes(32).toString('base64url');
const secretKey = randomBytes(32);

let scratch: ScratchMetadata;
let provider: OidcTestProvider;
let acme: Workspace;
let beta: Workspace;
let oidc: OidcService;
let config: OidcConfig;

beforeAll(async () => {
  scratch = await createScratchMetadata();
  await scratch.store.workspaces.create({ slug: 'demo', name: 'Demo', isDemo: true });
  acme = await scratch.store.workspaces.create({ slug: 'acme', name: 'Acme' });
  beta = await scratch.store.workspaces.create({ slug: 'beta', name: 'Beta' });
  provider = await startOidcTestProvider({
    clients: [{ clientId: 'pulse', clientSecret, redirectUri }],
    accounts: {
      ada: { email: 'ada@example.com', emailVerified: true, name: 'Ada', groups: ['staff', 'bi-admins'] },
      bob: { email: 'bob@example.com', emailVerified: true, groups: ['contractors'] },
      cleo: { email: 'cleo@example.com', emailVerified: true, groups: ['staff'] },
      dan: { email: 'dan@example.com', emailVerified: false, groups: ['staff'] },
      eve: { email: 'eve@example.com', emailVerified: true, groups: ['staff'], workspace: 'beta' },
      fay: { email: 'fay@example.com', emailVerified: true, groups: ['staff'] },
    },
  });
  config = {
    issuer: provider.issuer,
    clientId: 'pulse',
    clientSecret,
    scopes: ['openid', 'email', 'profile', 'groups'],
    roleClaim: 'groups',
    roleMap: { staff: 'viewer', analysts: 'analyst', 'bi-admins': 'admin' },
    defaultRole: undefined,
  };
  oidc = createOidcService({ config, metadata: scratch.store, publicUrl, secretKey });
});
afterAll(async () => {
  await provider?.close();
  await scratch?.cleanup();
});

/** One whole sign-in as a browser does it: start, provider login and consent, callback. */
async function signInAs(login: string, options: { browser?: TestBrowser; service?: OidcService } = {}) {
  const service = options.service ?? oidc;
  const start = await service.begin('/dashboards/kpis?range=7d');
  const callback = await authorizeAtProvider(options.browser ?? createTestBrowser(), start.authorizationUrl, {
    redirectUri,
    login,
  });
  return { start, callback, complete: () => service.complete(callback, start.stateBlob) };
}

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isPulseError(err)) return err.code;
    throw err;
  }
  throw new Error('expected the sign-in to be refused');
}

const memberships = (userId: string) => scratch.store.users.memberships(userId);
const identities = (userId: string) =>
  scratch.store.db.query<{ subject: string; email: string }>(
    'SELECT * FROM user_identities WHERE user_id = $1',
    [userId],
  );

describe('OIDC sign-in against a real provider on loopback', () => {
  it('sends the browser to the provider with PKCE (S256), state, nonce and the registered redirect URI', async () => {
    const { authorizationUrl } = await oidc.begin('/');
    const url = new URL(authorizationUrl);
    expect(url.origin).toBe(provider.issuer);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('nonce')).toBeTruthy();
    expect(url.searchParams.get('redirect_uri')).toBe(redirectUri);
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(['openid', 'email', 'profile', 'groups']);
  });

  it('provisions a new user just in time with the highest mapped role in the first real workspace', async () => {
    const signedIn = await (await signInAs('ada')).complete();
    expect(signedIn).toMatchObject({
      email: 'ada@example.com',
      role: 'admin',
      workspaceId: acme.id,
      account: 'created',
      returnTo: '/dashboards/kpis?range=7d',
    });
    const [row] = await scratch.store.db.query<{
      password_hash: string | null;
      kind: string;
      display_name: string;
    }>('SELECT password_hash, kind, display_name FROM users WHERE id = $1', [signedIn.userId]);
    expect(row).toEqual({ password_hash: null, kind: 'person', display_name: 'Ada' });
    expect(await memberships(signedIn.userId)).toEqual([
      { workspaceId: acme.id, userId: signedIn.userId, role: 'admin' },
    ]);
    expect(await identities(signedIn.userId)).toMatchObject([{ subject: 'ada', email: 'ada@example.com' }]);
  });

  it('reuses the account on a second sign-in, through the provider session of the same browser', async () => {
    const browser = createTestBrowser();
    const first = await (await signInAs('cleo', { browser })).complete();
    const second = await (await signInAs('cleo', { browser })).complete();
    expect(second.userId).toBe(first.userId);
    expect(second.account).toBe('existing');
    const [row] = await scratch.store.db.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM users WHERE lower(email) = 'cleo@example.com'",
    );
    expect(row?.count).toBe(1);
  });

  it('changes the role when the groups at the provider change', async () => {
    const before = await (await signInAs('fay')).complete();
    expect(before.role).toBe('viewer');
    provider.accounts.set('fay', { ...provider.accounts.get('fay'), groups: ['staff', 'analysts'] });
    const promoted = await (await signInAs('fay')).complete();
    expect(promoted.role).toBe('analyst');
    provider.accounts.set('fay', { ...provider.accounts.get('fay'), groups: ['staff'] });
    const demoted = await (await signInAs('fay')).complete();
    expect(demoted.role).toBe('viewer');
    expect(await memberships(before.userId)).toEqual([
      { workspaceId: acme.id, userId: before.userId, role: 'viewer' },
    ]);
  });

  it('refuses a user whose groups map to no role, and creates nothing', async () => {
    expect(await errorCode((await signInAs('bob')).complete())).toBe('SSO_NO_ROLE');
    expect(await scratch.store.users.getByEmail('bob@example.com')).toBeUndefined();
  });

  it('gives the default role to an unmapped user when one is configured', async () => {
    const lenient = createOidcService({
      config: { ...config, defaultRole: 'viewer' },
      metadata: scratch.store,
      publicUrl,
      secretKey,
    });
    const signedIn = await (await signInAs('bob', { service: lenient })).complete();
    expect(signedIn).toMatchObject({ role: 'viewer', account: 'created' });
  });

  it('lands in the workspace named by the workspace claim', async () => {
    const signedIn = await (await signInAs('eve')).complete();
    expect(signedIn.workspaceId).toBe(beta.id);
  });

  it('links an existing local account by verified e-mail', async () => {
    const local = await scratch.store.users.create({ email: 'Gus@Example.com', passwordHash: 'argon2-hash' });
    provider.accounts.set('gus', { email: 'gus@example.com', emailVerified: true, groups: ['staff'] });
    const signedIn = await (await signInAs('gus')).complete();
    expect(signedIn).toMatchObject({ userId: local.id, account: 'linked' });
    expect(await identities(local.id)).toMatchObject([{ subject: 'gus' }]);
  });

  it('refuses to link an existing account to an unverified e-mail', async () => {
    const local = await scratch.store.users.create({ email: 'dan@example.com', passwordHash: 'argon2-hash' });
    expect(await errorCode((await signInAs('dan')).complete())).toBe('SSO_EMAIL_CONFLICT');
    expect(await identities(local.id)).toEqual([]);
  });

  it('refuses a disabled user', async () => {
    const signedIn = await (await signInAs('ada')).complete();
    await scratch.store.db.query("UPDATE users SET status = 'disabled' WHERE id = $1", [signedIn.userId]);
    expect(await errorCode((await signInAs('ada')).complete())).toBe('SSO_ACCOUNT_DISABLED');
    await scratch.store.db.query("UPDATE users SET status = 'active' WHERE id = $1", [signedIn.userId]);
  });

  it('reports a sign-in cancelled at the provider', async () => {
    const start = await oidc.begin('/');
    const callback = await authorizeAtProvider(createTestBrowser(), start.authorizationUrl, {
      redirectUri,
      login: 'cleo',
      decision: 'deny',
    });
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    expect(await errorCode(oidc.complete(callback, start.stateBlob))).toBe('SSO_DENIED');
  });
});

describe('the state cookie', () => {
  it('refuses a tampered state blob', async () => {
    const { start, callback } = await signInAs('cleo');
    const last = start.stateBlob.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${start.stateBlob.slice(0, -2)}${last}${start.stateBlob.at(-1)}`;
    expect(await errorCode(oidc.complete(callback, tampered))).toBe('SSO_STATE_INVALID');
    expect(await errorCode(oidc.complete(callback, undefined))).toBe('SSO_STATE_INVALID');
  });

  it('refuses a state blob whose authentication tag was truncated', async () => {
    const { start, callback } = await signInAs('cleo');
    const [version, iv, tag = '', body] = start.stateBlob.split('.');
    // The first 4 bytes of the right tag: AES-GCM accepts them unless the tag length is pinned.
    const shortTag = Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url');
    const truncated = [version, iv, shortTag, body].join('.');
    expect(await errorCode(oidc.complete(callback, truncated))).toBe('SSO_STATE_INVALID');
  });

  it('refuses a replayed callback with its state', async () => {
    const { start, callback, complete } = await signInAs('cleo');
    await complete();
    expect(await errorCode(oidc.complete(callback, start.stateBlob))).toBe('SSO_STATE_INVALID');
  });

  it('refuses a replayed callback in another process, where the provider refuses the used code', async () => {
    const { start, callback, complete } = await signInAs('cleo');
    await complete();
    const otherProcess = createOidcService({ config, metadata: scratch.store, publicUrl, secretKey });
    expect(await errorCode(otherProcess.complete(callback, start.stateBlob))).toBe('SSO_CALLBACK_INVALID');
  });

  it("refuses a callback paired with another sign-in's state (login CSRF)", async () => {
    const mine = await oidc.begin('/');
    const theirs = await signInAs('cleo');
    expect(await errorCode(oidc.complete(theirs.callback, mine.stateBlob))).toBe('SSO_CALLBACK_INVALID');
  });

  it('refuses a state that expired', async () => {
    let clock = Date.now();
    const slow = createOidcService({
      config,
      metadata: scratch.store,
      publicUrl,
      secretKey,
      now: () => new Date(clock),
    });
    const start = await slow.begin('/');
    const callback = await authorizeAtProvider(createTestBrowser(), start.authorizationUrl, {
      redirectUri,
      login: 'cleo',
    });
    clock += 11 * 60_000;
    expect(await errorCode(slow.complete(callback, start.stateBlob))).toBe('SSO_STATE_INVALID');
  });

  it('refuses a state sealed under another server secret', async () => {
    const other = createOidcService({
      config,
      metadata: scratch.store,
      publicUrl,
      secretKey: randomBytes(32),
    });
    const { callback } = await signInAs('cleo');
    const foreign = await other.begin('/');
    expect(await errorCode(oidc.complete(callback, foreign.stateBlob))).toBe('SSO_STATE_INVALID');
  });
});

describe('configuration and availability', () => {
  it('refuses a plain-http issuer that is not on this machine', () => {
    const create = () =>
      createOidcService({
        config: { ...config, issuer: 'http://idp.example.com' },
        metadata: scratch.store,
        publicUrl,
        secretKey,
      });
    expect(create).toThrow(expect.objectContaining({ code: 'SSO_CONFIG_INVALID' }));
  });

  it('answers SSO_PROVIDER_UNAVAILABLE (retriable) when the provider does not answer', async () => {
    const down = createOidcService({
      config: { ...config, issuer: 'http://127.0.0.1:1' },
      metadata: scratch.store,
      publicUrl,
      secretKey,
    });
    const err = await down.begin('/').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SSO_PROVIDER_UNAVAILABLE', retriable: true });
  });
});

describe('returnTo', () => {
  it('accepts paths on this site and refuses anything that leaves it', async () => {
    expect(safeReturnTo('/reports/42?tab=runs#top')).toBe('/reports/42?tab=runs#top');
    for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'dashboards', '/a\nb'])
      expect(() => safeReturnTo(bad), bad).toThrow(/returnTo/);
    expect(await errorCode(oidc.begin('https://evil.example/'))).toBe('SSO_RETURN_TO_INVALID');
  });
});
