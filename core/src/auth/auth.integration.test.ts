import argon2 from 'argon2';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchMetadata } from '../testing/scratch-metadata.ts';
import type { MetadataStore } from '../metadata/index.ts';
import {
  checkPasswordPolicy,
  createAccountService,
  createMfaService,
  createSessionService,
  csrfTokenFor,
  hashPassword,
  needsRehash,
  readSessionCookie,
  sessionCookie,
  verifyCsrf,
  verifyPassword,
} from './index.ts';

/** The same suite on embedded PGlite and on a real PostgreSQL server, as the metadata suite. */
const engines = ['pglite', 'postgres'] as const;

const goodPassword = 'violet kettle harbour 93';
const serverSecret = 'test-server-secret-that-is-long-enough-0123456789';
const minutes = (n: number) => n * 60_000;

describe('password policy and hashing', () => {
  it('refuses a weak password with every reason at once', () => {
    const reasons = (pw: string, ctx = {}) => checkPasswordPolicy(pw, ctx).map((p) => p.reason);
    expect(reasons('vexorin', { email: 'vexorin@example.com', workspaceName: 'Vexorin' })).toEqual([
      'too_short',
      'contains_email',
      'contains_workspace_name',
    ]);
    expect(reasons('qwerty123456')).toEqual(['common']);
    expect(reasons('Password1234!')).toEqual(['common']);
    expect(reasons('qwertyqwerty')).toEqual(['common']);
    expect(reasons('x'.repeat(257))).toContain('too_long');
    expect(reasons('my ada.lovelace passphrase', { email: 'Ada.Lovelace@example.com' })).toEqual([
      'contains_email',
    ]);
    expect(reasons(goodPassword, { email: 'ada@example.com', workspaceName: 'Acme' })).toEqual([]);
  });

  it('hashes with argon2id at the OWASP parameters and verifies', async () => {
    const hash = await hashPassword(goodPassword);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await verifyPassword(hash, goodPassword)).toBe(true);
    expect(await verifyPassword(hash, `${goodPassword}!`)).toBe(false);
    expect(await verifyPassword('not a hash', goodPassword)).toBe(false);
    expect(needsRehash(hash)).toBe(false);
    const weak = await argon2.hash(goodPassword, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1 });
    expect(needsRehash(weak)).toBe(true);
  });

  it('builds the session cookie and checks CSRF tokens in constant time', () => {
    expect(sessionCookie('abc', { secure: true })).toBe(
      'pulse_session=abc; HttpOnly; SameSite=Lax; Path=/; Secure',
    );
    expect(sessionCookie('abc', { secure: false })).toBe('pulse_session=abc; HttpOnly; SameSite=Lax; Path=/');
    expect(readSessionCookie('theme=dark; pulse_session=abc; x=1')).toBe('abc');
    const token = csrfTokenFor('session-1', serverSecret);
    expect(verifyCsrf('session-1', token, serverSecret)).toBe(true);
    expect(verifyCsrf('session-2', token, serverSecret)).toBe(false);
    const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(verifyCsrf('session-1', tampered, serverSecret)).toBe(false);
    expect(verifyCsrf('session-1', 'short', serverSecret)).toBe(false);
    expect(verifyCsrf('session-1', undefined, serverSecret)).toBe(false);
    expect(verifyCsrf('session-1', token, 'another-secret')).toBe(false);
  });
});

describe.each(engines)('accounts on %s', (engine) => {
  let store: MetadataStore;
  let cleanup: () => Promise<void>;
  let clock = new Date('2026-03-02T09:00:00.000Z');
  const now = () => clock;
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  let accounts: ReturnType<typeof createAccountService>;
  let sessions: ReturnType<typeof createSessionService>;
  let mfa: ReturnType<typeof createMfaService>;

  beforeAll(async () => {
    ({ store, cleanup } = await createScratchMetadata(engine));
    accounts = createAccountService(store.db, { now });
    sessions = createSessionService(store.db, { now });
    mfa = createMfaService(store.db, { now, serverSecret });
  });
  afterAll(() => cleanup());

  const lockedFor = (err: unknown) => {
    expect(err).toMatchObject({ code: 'ACCOUNT_LOCKED' });
    return (err as { context: { retryAfterSeconds: number } }).context.retryAfterSeconds;
  };

  it('creates a local user and refuses a weak password with its reasons', async () => {
    await expect(accounts.createLocalUser('grace@example.com', 'grace', 'Grace')).rejects.toMatchObject({
      code: 'PASSWORD_REJECTED',
      context: {
        problems: [{ reason: 'too_short', min: 12 }, { reason: 'common' }, { reason: 'contains_email' }],
      },
    });
    const user = await accounts.createLocalUser('Grace@example.com', goodPassword, 'Grace');
    const [row] = await store.db.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE id = $1',
      [user.id],
    );
    expect(row!.password_hash).toMatch(/^\$argon2id\$/);
    const result = await accounts.login('grace@EXAMPLE.com ', goodPassword, '10.0.0.1');
    expect(result).toMatchObject({ user: { id: user.id, isAdmin: false }, mfa: 'none' });
  });

  it('upgrades a hash made with weaker parameters at the next sign-in', async () => {
    const user = await accounts.createLocalUser('legacy@example.com', goodPassword, 'Legacy');
    const weak = await argon2.hash(goodPassword, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1 });
    await store.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, weak]);
    await accounts.login('legacy@example.com', goodPassword, '10.0.0.1');
    const [row] = await store.db.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE id = $1',
      [user.id],
    );
    expect(needsRehash(row!.password_hash)).toBe(false);
  });

  it('locks out after 5 failures, refuses the right password while locked, and doubles the lock', async () => {
    await accounts.createLocalUser('mallory-target@example.com', goodPassword, 'Target');
    const fail = (pw = 'wrong password!!') =>
      accounts.login('mallory-target@example.com', pw, '10.0.0.2').catch((e: unknown) => e);

    for (let i = 0; i < 4; i++) expect(await fail()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(lockedFor(await fail())).toBe(60);
    advance(30_000);
    expect(lockedFor(await fail(goodPassword))).toBe(30);

    advance(31_000);
    for (let i = 0; i < 4; i++) expect(await fail()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(lockedFor(await fail())).toBe(120);
    advance(119_000);
    expect(lockedFor(await fail(goodPassword))).toBe(1);
    advance(1_000);
    // Unlocked after the window; success resets the counter and the backoff.
    expect((await accounts.login('mallory-target@example.com', goodPassword, '10.0.0.2')).user.email).toBe(
      'mallory-target@example.com',
    );
    for (let i = 0; i < 4; i++) expect(await fail()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(lockedFor(await fail())).toBe(60);
  });

  it('caps the lock at one hour', async () => {
    await accounts.createLocalUser('capped@example.com', goodPassword, 'Capped');
    const seen: number[] = [];
    for (let lock = 0; lock < 8; lock++) {
      let err: unknown;
      for (let i = 0; i < 5; i++)
        err = await accounts
          .login('capped@example.com', 'nope nope nope', '10.0.0.3')
          .catch((e: unknown) => e);
      const seconds = lockedFor(err);
      seen.push(seconds / 60);
      advance(seconds * 1000);
    }
    expect(seen).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
  });

  it('forgets failures older than 15 minutes', async () => {
    await accounts.createLocalUser('slow@example.com', goodPassword, 'Slow');
    for (let i = 0; i < 4; i++)
      await accounts.login('slow@example.com', 'wrong wrong wrong', '10.0.0.4').catch(() => {});
    advance(minutes(16));
    const err = await accounts
      .login('slow@example.com', 'wrong wrong wrong', '10.0.0.4')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('treats an unknown e-mail like a wrong password, lockout included', async () => {
    const fail = () =>
      accounts.login('nobody@example.com', goodPassword, '10.0.0.5').catch((e: unknown) => e);
    for (let i = 0; i < 4; i++) expect(await fail()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(lockedFor(await fail())).toBe(60);
  });

  it('throttles one address that fails across many accounts', async () => {
    const strict = createAccountService(store.db, { now, lockout: { maxFailuresPerIp: 3 } });
    for (let i = 0; i < 3; i++)
      await strict.login(`spray${i}@example.com`, goodPassword, '10.9.9.9').catch(() => {});
    await expect(strict.login('grace@example.com', goodPassword, '10.9.9.9')).rejects.toMatchObject({
      code: 'LOGIN_THROTTLED',
      context: { retryAfterSeconds: expect.any(Number) },
    });
    expect((await strict.login('grace@example.com', goodPassword, '10.9.9.10')).user.email).toBe(
      'Grace@example.com',
    );
  });

  it('expires sessions after 30 idle minutes and 12 hours in all', async () => {
    const user = (await store.users.getByEmail('grace@example.com'))!;
    const id = await sessions.createSession(user.id, { sourceIp: '10.0.0.1', userAgent: 'vitest' });
    expect(id).toMatch(/^[\w-]{43}$/);
    const [stored] = await store.db.query<{ id_hash: string }>(
      'SELECT id_hash FROM sessions WHERE user_id = $1',
      [user.id],
    );
    expect(stored!.id_hash).not.toContain(id);
    expect(await sessions.validate(id)).toMatchObject({
      valid: true,
      user: { id: user.id },
      session: { userId: user.id },
    });

    advance(minutes(29));
    expect(await sessions.touch(id)).toBe(true);
    advance(minutes(29));
    expect((await sessions.validate(id)).valid).toBe(true);
    advance(minutes(2));
    expect(await sessions.validate(id)).toEqual({ valid: false, reason: 'idle_timeout' });
    expect(await sessions.touch(id)).toBe(false);

    const busy = await sessions.createSession(user.id);
    for (let elapsed = 0; elapsed < minutes(12 * 60 - 20); elapsed += minutes(20)) {
      advance(minutes(20));
      expect(await sessions.touch(busy)).toBe(true);
    }
    advance(minutes(20));
    expect(await sessions.validate(busy)).toEqual({ valid: false, reason: 'absolute_timeout' });
  });

  it('rotates a session id, invalidating the old one but keeping the absolute timeout', async () => {
    const user = (await store.users.getByEmail('grace@example.com'))!;
    const pending = await sessions.createSession(user.id, { mfaPending: true });
    expect(await sessions.validate(pending)).toEqual({ valid: false, reason: 'mfa_pending' });
    expect((await sessions.validate(pending, { allowMfaPending: true })).valid).toBe(true);
    advance(minutes(10));
    const full = await sessions.rotate(pending, { mfaPending: false });
    expect(full).not.toBe(pending);
    expect(await sessions.validate(pending)).toEqual({ valid: false, reason: 'revoked' });
    const check = await sessions.validate(full);
    expect(check.valid).toBe(true);
    if (check.valid)
      expect(check.session.absoluteExpiresAt.getTime() - check.session.createdAt.getTime()).toBe(
        minutes(12 * 60),
      );
    await expect(sessions.rotate(pending)).rejects.toMatchObject({
      code: 'SESSION_INVALID',
      context: { reason: 'revoked' },
    });
    expect(await sessions.validate('not-a-session')).toEqual({ valid: false, reason: 'unknown' });
  });

  it('logs a user out everywhere but the asking session, and one session on logout', async () => {
    const user = await accounts.createLocalUser('everywhere@example.com', goodPassword, 'Everywhere');
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => sessions.createSession(user.id)));
    expect(await sessions.revoke(a!)).toBe(true);
    expect(await sessions.revoke(a!)).toBe(false);
    expect(await sessions.revokeAllForUser(user.id, { except: c! })).toBe(1);
    expect(await sessions.validate(b!)).toEqual({ valid: false, reason: 'revoked' });
    expect((await sessions.validate(c!)).valid).toBe(true);
    expect(await sessions.revokeAllForUser(user.id)).toBe(1);
    expect(await sessions.listForUser(user.id)).toEqual([]);
  });

  it('enrols TOTP, refuses a replayed code and accepts each recovery code once', async () => {
    const user = await accounts.createLocalUser('totp@example.com', goodPassword, 'Totp');
    const enrolment = await mfa.startEnrolment(user.id);
    expect(enrolment.otpauthUri).toMatch(/^otpauth:\/\/totp\/Pulse:totp%40example\.com\?/);
    expect(enrolment.otpauthUri).toContain('issuer=Pulse');
    expect(enrolment.qrCodeDataUrl).toMatch(/^data:image\/png;base64,/);
    const [row] = await store.db.query<{ secret_sealed: string }>(
      'SELECT secret_sealed FROM mfa WHERE user_id = $1',
      [user.id],
    );
    expect(row!.secret_sealed).not.toContain(enrolment.secret);
    expect((await accounts.login('totp@example.com', goodPassword, '10.0.1.1')).mfa).toBe('none');

    const code = (offsetSeconds = 0) =>
      generate({ secret: enrolment.secret, epoch: Math.floor(clock.getTime() / 1000) + offsetSeconds });
    await expect(mfa.confirmEnrolment(user.id, '000000')).rejects.toMatchObject({ code: 'MFA_CODE_INVALID' });
    const { recoveryCodes } = await mfa.confirmEnrolment(user.id, await code());
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(recoveryCodes[0]).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect((await accounts.login('totp@example.com', goodPassword, '10.0.1.1')).mfa).toBe('verify');

    // The confirming code's step is used up: the same code again is a replay.
    await expect(mfa.verify(user.id, await code(), '10.0.1.1')).rejects.toMatchObject({
      code: 'MFA_CODE_INVALID',
    });
    advance(30_000);
    // One step of drift either way is accepted.
    const late = await code(-30);
    await expect(mfa.verify(user.id, late, '10.0.1.1')).rejects.toMatchObject({ code: 'MFA_CODE_INVALID' });
    expect(await mfa.verify(user.id, await code(30), '10.0.1.1')).toMatchObject({ method: 'totp' });
    await expect(mfa.verify(user.id, await code(30), '10.0.1.1')).rejects.toMatchObject({
      code: 'MFA_CODE_INVALID',
    });
    advance(90_000);
    await expect(mfa.verify(user.id, await code(-60), '10.0.1.1')).rejects.toMatchObject({
      code: 'MFA_CODE_INVALID',
    });
    expect(await mfa.verify(user.id, await code(-30), '10.0.1.1')).toMatchObject({ method: 'totp' });

    const recovery = recoveryCodes[3]!;
    expect(await mfa.verify(user.id, recovery.toLowerCase().replaceAll('-', ' '), '10.0.1.1')).toEqual({
      method: 'recovery_code',
      recoveryCodesLeft: 9,
    });
    await expect(mfa.verify(user.id, recovery, '10.0.1.1')).rejects.toMatchObject({
      code: 'MFA_CODE_INVALID',
    });
    expect(await mfa.status(user.id)).toEqual({ enabled: true, enrolling: false, recoveryCodesLeft: 9 });
  });

  it('locks the account after repeated wrong second-factor codes', async () => {
    const user = await accounts.createLocalUser('guess@example.com', goodPassword, 'Guess');
    const { secret } = await mfa.startEnrolment(user.id);
    await mfa.confirmEnrolment(
      user.id,
      await generate({ secret, epoch: Math.floor(clock.getTime() / 1000) }),
    );
    let err: unknown;
    for (let i = 0; i < 5; i++)
      err = await mfa.verify(user.id, '123456', '10.0.1.2').catch((e: unknown) => e);
    expect(lockedFor(err)).toBe(60);
  });

  it('asks a member of a workspace that requires MFA to enrol', async () => {
    const ws = await store.workspaces.create({ slug: 'strict', name: 'Strict Corp' });
    const user = await accounts.createLocalUser('member@example.com', goodPassword, 'Member');
    await store.users.setRole(ws.id, user.id, 'viewer');
    expect(await mfa.workspaceRequiresMfa(ws.id)).toBe(false);
    await mfa.setWorkspaceRequiresMfa(ws.id, true);
    expect(await mfa.workspaceRequiresMfa(ws.id)).toBe(true);
    expect((await accounts.login('member@example.com', goodPassword, '10.0.2.1')).mfa).toBe('enrol');
  });

  it('creates the first admin once, with a one-time setup link', async () => {
    const first = await accounts.ensureAdmin('root@example.com');
    expect(first?.user).toMatchObject({ email: 'root@example.com', status: 'invited', isAdmin: true });
    expect(await accounts.ensureAdmin('root@example.com')).toBeNull();
    expect(await accounts.ensureAdmin('other@example.com')).toBeNull();
    const { token } = first!.setupToken;
    const [row] = await store.db.query<{ token_hash: string }>(
      'SELECT token_hash FROM setup_tokens WHERE user_id = $1',
      [first!.user.id],
    );
    expect(row!.token_hash).not.toContain(token);

    await expect(accounts.login('root@example.com', '', '10.0.3.1')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    // A rejected password leaves the link usable.
    await expect(accounts.completeSetup(token, 'root12345678')).rejects.toMatchObject({
      code: 'PASSWORD_REJECTED',
    });
    expect(await accounts.completeSetup(token, goodPassword)).toMatchObject({ status: 'active' });
    await expect(accounts.completeSetup(token, goodPassword)).rejects.toMatchObject({
      code: 'SETUP_TOKEN_INVALID',
      context: { reason: 'used' },
    });
    expect((await accounts.login('root@example.com', goodPassword, '10.0.3.1')).user.isAdmin).toBe(true);
  });

  it('expires setup links after 24 hours, retires older ones, and signs out everywhere on use', async () => {
    const user = await accounts.createLocalUser('reset@example.com', goodPassword, 'Reset');
    const session = await sessions.createSession(user.id);
    const old = await accounts.createSetupToken(user.id);
    advance(minutes(60));
    const expiring = await accounts.createSetupToken(user.id);
    expect(expiring.expiresAt.getTime() - clock.getTime()).toBe(minutes(24 * 60));
    await expect(accounts.completeSetup(old.token, goodPassword)).rejects.toMatchObject({
      context: { reason: 'unknown' },
    });
    advance(minutes(24 * 60) + 1000);
    await expect(accounts.completeSetup(expiring.token, goodPassword)).rejects.toMatchObject({
      code: 'SETUP_TOKEN_INVALID',
      context: { reason: 'expired' },
    });
    const fresh = await accounts.createSetupToken(user.id);
    await accounts.completeSetup(fresh.token, 'a new violet kettle 42');
    // The session was idle anyway by now; its revocation is what is checked.
    const [row] = await store.db.query<{ revoked_reason: string }>(
      'SELECT revoked_reason FROM sessions WHERE user_id = $1',
      [user.id],
    );
    expect(row!.revoked_reason).toBe('password_changed');
    expect((await sessions.validate(session)).valid).toBe(false);
    expect((await accounts.login('reset@example.com', 'a new violet kettle 42', '10.0.3.2')).user.id).toBe(
      user.id,
    );
  });
});
