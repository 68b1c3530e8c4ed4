import { randomUUID } from 'node:crypto';
import { PulseError } from '../errors/index.ts';
import type { SqlDriver, User } from '../metadata/index.ts';
import { usersRepository } from '../metadata/repositories/users.ts';
import { randomToken, sha256Hex } from './digest.ts';
import { createLoginThrottle, defaultLockoutPolicy, emailKey, type LockoutPolicy } from './login-throttle.ts';
import {
  checkPasswordPolicy,
  describePasswordProblem,
  hashPassword,
  needsRehash,
  verifyPassword,
} from './passwords.ts';

export interface AccountServiceOptions {
  now?: () => Date;
  lockout?: Partial<LockoutPolicy>;
  /** How long a setup link works; 24 h by default. */
  setupTokenTtlMs?: number;
}

/**
 * What the sign-in flow must do next: nothing, ask for the second factor, or make the user enrol
 * one because a workspace they belong to requires it.
 */
export type MfaStep = 'none' | 'verify' | 'enrol';
export interface LoginResult {
  user: User & { isAdmin: boolean };
  mfa: MfaStep;
}
export interface SetupToken {
  token: string;
  expiresAt: Date;
}

export type AccountService = ReturnType<typeof createAccountService>;

export function createAccountService(db: SqlDriver, opts: AccountServiceOptions = {}) {
  const now = opts.now ?? (() => new Date());
  const throttle = createLoginThrottle(db, now, { ...defaultLockoutPolicy, ...opts.lockout });
  const setupTtlMs = opts.setupTokenTtlMs ?? 24 * 60 * 60_000;
  const users = usersRepository(db);
  // Unknown e-mails are checked against this hash so they take as long as known ones.
  let dummyHash: Promise<string> | undefined;

  async function createSetupToken(userId: string, tx: SqlDriver = db): Promise<SetupToken> {
    const token = randomToken(32);
    const expiresAt = new Date(now().getTime() + setupTtlMs);
    // Only the newest link works: sending a fresh one retires those sent before.
    await tx.query('DELETE FROM setup_tokens WHERE user_id = $1 AND used_at IS NULL', [userId]);
    await tx.query(
      'INSERT INTO setup_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
      [sha256Hex(token), userId, now(), expiresAt],
    );
    return { token, expiresAt };
  }

  return {
    async createLocalUser(
      email: string,
      password: string,
      displayName: string,
      context: { workspaceName?: string } = {},
    ): Promise<User> {
      assertPasswordAcceptable(password, { email, ...context });
      return users.create({ email, displayName, passwordHash: await hashPassword(password) });
    },

    /**
     * Checks e-mail and password. Throws INVALID_CREDENTIALS (the same for an unknown e-mail and
     * a wrong password), ACCOUNT_LOCKED or LOGIN_THROTTLED with `retryAfterSeconds`, or
     * ACCOUNT_DISABLED once the password was right.
     */
    async login(email: string, password: string, sourceIp: string): Promise<LoginResult> {
      const key = emailKey(email);
      await throttle.assertMayTry(key, sourceIp);
      const [row] = await db.query<UserRow>(
        `SELECT id, email, display_name, status, created_at, is_admin, password_hash FROM users WHERE lower(email) = $1`,
        [key],
      );
      dummyHash ??= hashPassword(randomToken(16));
      const matches = await verifyPassword(row?.password_hash ?? (await dummyHash), password);
      if (!row?.password_hash || !matches) {
        const lockedUntil = await throttle.recordFailure(key, sourceIp);
        if (lockedUntil) await throttle.assertMayTry(key, sourceIp);
        throw new PulseError('INVALID_CREDENTIALS', 'the e-mail address or the password is wrong', {
          hint: 'Check both, or ask an admin for a setup link.',
        });
      }
      if (row.status === 'disabled')
        throw new PulseError('ACCOUNT_DISABLED', 'this account is disabled', {
          context: { userId: row.id },
          hint: 'Ask a workspace admin to enable it.',
        });
      await throttle.reset(key);
      if (needsRehash(row.password_hash))
        await db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [
          row.id,
          await hashPassword(password),
        ]);
      return { user: toAccountUser(row), mfa: await mfaStep(db, row.id) };
    },

    /** A one-time link token to set the password; store only its hash, valid for 24 h. */
    createSetupToken: (userId: string) => createSetupToken(userId),

    /** Sets the password through a setup link; signs the user out everywhere. */
    async completeSetup(token: string, password: string): Promise<User> {
      const tokenHash = sha256Hex(token);
      const t = now();
      const [found] = await db.query<{
        user_id: string;
        email: string;
        expires_at: Date;
        used_at: Date | null;
      }>(
        'SELECT s.user_id, u.email, s.expires_at, s.used_at FROM setup_tokens s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1',
        [tokenHash],
      );
      if (!found || found.used_at || new Date(found.expires_at) <= t)
        throw setupTokenInvalid(!found ? 'unknown' : found.used_at ? 'used' : 'expired');
      const workspaces = await db.query<{ name: string }>(
        'SELECT w.name FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id WHERE m.user_id = $1',
        [found.user_id],
      );
      assertPasswordAcceptable(
        password,
        { email: found.email },
        workspaces.map((w) => w.name),
      );
      const passwordHash = await hashPassword(password);
      const user = await db.transaction(async (tx) => {
        // Consuming the token and checking it are one statement, so two tabs cannot both use it.
        const used = await tx.query(
          'UPDATE setup_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id',
          [tokenHash, t],
        );
        if (used.length === 0) throw setupTokenInvalid('used');
        const [row] = await tx.query<UserRow>(
          `UPDATE users SET password_hash = $2, password_changed_at = $3,
             status = CASE WHEN status = 'invited' THEN 'active' ELSE status END
           WHERE id = $1 RETURNING id, email, display_name, status, created_at, is_admin`,
          [found.user_id, passwordHash, t],
        );
        await tx.query(
          `UPDATE sessions SET revoked_at = $2, revoked_reason = 'password_changed' WHERE user_id = $1 AND revoked_at IS NULL`,
          [found.user_id, t],
        );
        return toAccountUser(row!);
      });
      await throttle.reset(emailKey(found.email));
      return user;
    },

    /**
     * On first start: makes `email` the instance admin, without a password, and returns a setup
     * token to print as a link. Returns null once any admin exists, so restarts print nothing.
     */
    async ensureAdmin(email: string): Promise<{ user: User; setupToken: SetupToken } | null> {
      return db.transaction(async (tx) => {
        // Two instances starting against one PostgreSQL must not both create an admin.
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('pulse.ensure_admin'))");
        const [admin] = await tx.query('SELECT id FROM users WHERE is_admin LIMIT 1');
        if (admin) return null;
        const [existing] = await tx.query<{ id: string }>('SELECT id FROM users WHERE lower(email) = $1', [
          emailKey(email),
        ]);
        const user = existing
          ? await tx.query<UserRow>(
              'UPDATE users SET is_admin = true WHERE id = $1 RETURNING id, email, display_name, status, created_at, is_admin',
              [existing.id],
            )
          : await tx.query<UserRow>(
              `INSERT INTO users (id, email, display_name, status, is_admin) VALUES ($1, $2, 'Admin', 'invited', true)
               RETURNING id, email, display_name, status, created_at, is_admin`,
              [randomUUID(), email.trim()],
            );
        return { user: toAccountUser(user[0]!), setupToken: await createSetupToken(user[0]!.id, tx) };
      });
    },

    /** For a periodic job: forgets failures that no longer count. */
    sweep: () => throttle.sweep(),
  };
}

type UserRow = {
  id: string;
  email: string;
  display_name: string;
  status: User['status'];
  created_at: unknown;
  is_admin: boolean;
  password_hash?: string | null;
};

const toAccountUser = (r: UserRow): User & { isAdmin: boolean } => ({
  id: r.id,
  email: r.email,
  displayName: r.display_name,
  status: r.status,
  createdAt: new Date(r.created_at as string).toISOString(),
  isAdmin: r.is_admin,
});

function assertPasswordAcceptable(
  password: string,
  context: { email?: string; workspaceName?: string },
  workspaceNames: string[] = [],
): void {
  const names = context.workspaceName ? [context.workspaceName, ...workspaceNames] : workspaceNames;
  const problems = [
    ...checkPasswordPolicy(password, { email: context.email }),
    ...names.flatMap((workspaceName) =>
      checkPasswordPolicy(password, { workspaceName }).filter((p) => p.reason === 'contains_workspace_name'),
    ),
  ].filter((p, i, all) => all.findIndex((q) => q.reason === p.reason) === i);
  if (problems.length > 0)
    throw new PulseError(
      'PASSWORD_REJECTED',
      `the password is not accepted: ${problems.map(describePasswordProblem).join('; ')}`,
      {
        context: { problems },
        hint: 'Choose a longer passphrase that is not a common password and does not include your e-mail or workspace name.',
      },
    );
}

function setupTokenInvalid(reason: 'unknown' | 'used' | 'expired'): PulseError {
  return new PulseError(
    'SETUP_TOKEN_INVALID',
    `the setup link is ${reason === 'unknown' ? 'not valid' : reason}`,
    {
      context: { reason },
      hint: 'Ask an admin for a new setup link.',
    },
  );
}

async function mfaStep(db: SqlDriver, userId: string): Promise<MfaStep> {
  const [row] = await db.query<{ enrolled: boolean; required: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM mfa WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS enrolled,
            EXISTS (SELECT 1 FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id
                    WHERE m.user_id = $1 AND w.require_mfa) AS required`,
    [userId],
  );
  return row?.enrolled ? 'verify' : row?.required ? 'enrol' : 'none';
}
