import { PulseError } from '../errors/index.ts';
import type { SqlDriver } from '../metadata/index.ts';

export interface LockoutPolicy {
  /** Failures within `windowMs` that lock the account. */
  maxFailures: number;
  windowMs: number;
  /** The first lock; each further one doubles, up to `maxLockMs`. */
  firstLockMs: number;
  maxLockMs: number;
  /** A lock that ended longer ago than this no longer lengthens the next one. */
  forgetLockoutsAfterMs: number;
  /** Failures from one source address within `windowMs`, across all accounts, that throttle it. */
  maxFailuresPerIp: number;
}

export const defaultLockoutPolicy: LockoutPolicy = {
  maxFailures: 5,
  windowMs: 15 * 60_000,
  firstLockMs: 60_000,
  maxLockMs: 60 * 60_000,
  forgetLockoutsAfterMs: 24 * 60 * 60_000,
  maxFailuresPerIp: 100,
};

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

/** The e-mail as the throttle and the users table compare it. */
export const emailKey = (email: string): string => email.trim().toLowerCase();

/**
 * Per-account lockout with exponential backoff, plus a per-address ceiling. A check happens
 * before the password is looked at, so a locked account refuses even the right password.
 */
export function createLoginThrottle(db: SqlDriver, now: () => Date, policy: LockoutPolicy) {
  return {
    /** Throws ACCOUNT_LOCKED or LOGIN_THROTTLED with `retryAfterSeconds` in the context. */
    async assertMayTry(key: string, sourceIp: string): Promise<void> {
      const t = now();
      const [row] = await db.query<{ locked_until: Date | null }>(
        'SELECT locked_until FROM login_throttle WHERE email_key = $1',
        [key],
      );
      if (row?.locked_until && new Date(row.locked_until) > t)
        throw new PulseError(
          'ACCOUNT_LOCKED',
          'too many failed sign-ins: the account is locked for a while',
          {
            context: { retryAfterSeconds: secondsUntil(new Date(row.locked_until), t) },
            hint: 'Wait and try again, or reset the password with a setup link.',
          },
        );
      const since = new Date(t.getTime() - policy.windowMs);
      const [ip] = await db.query<{ n: number; oldest: Date | null }>(
        'SELECT count(*)::int AS n, min(at) AS oldest FROM login_failures WHERE source_ip = $1 AND at > $2',
        [sourceIp, since],
      );
      if (ip && ip.n >= policy.maxFailuresPerIp)
        throw new PulseError('LOGIN_THROTTLED', 'too many failed sign-ins from this address', {
          context: {
            retryAfterSeconds: secondsUntil(new Date(new Date(ip.oldest!).getTime() + policy.windowMs), t),
          },
          hint: 'Wait and try again.',
        });
    },

    /** Counts a failure; returns when the account is locked until, if this failure locked it. */
    async recordFailure(key: string, sourceIp: string): Promise<Date | null> {
      const t = now();
      return db.transaction(async (tx) => {
        await tx.query('INSERT INTO login_failures (source_ip, email_key, at) VALUES ($1, $2, $3)', [
          sourceIp,
          key,
          t,
        ]);
        await tx.query('INSERT INTO login_throttle (email_key) VALUES ($1) ON CONFLICT DO NOTHING', [key]);
        const [row] = await tx.query<ThrottleRow>(
          'SELECT failures, window_started_at, lockouts, locked_until FROM login_throttle WHERE email_key = $1 FOR UPDATE',
          [key],
        );
        const { next, locked } = nextState(row!, t, policy);
        await tx.query(
          'UPDATE login_throttle SET failures = $2, window_started_at = $3, lockouts = $4, locked_until = $5, last_failure_at = $6 WHERE email_key = $1',
          [key, next.failures, next.window_started_at, next.lockouts, next.locked_until, t],
        );
        return locked ? next.locked_until : null;
      });
    },

    async reset(key: string): Promise<void> {
      await db.query('DELETE FROM login_throttle WHERE email_key = $1', [key]);
    },

    /** Deletes what no longer affects a decision; for a periodic job. */
    async sweep(): Promise<void> {
      const t = now().getTime();
      await db.query('DELETE FROM login_failures WHERE at < $1', [new Date(t - policy.windowMs)]);
      await db.query(
        'DELETE FROM login_throttle WHERE coalesce(locked_until, last_failure_at) < $1 AND (window_started_at IS NULL OR window_started_at < $2)',
        [new Date(t - policy.forgetLockoutsAfterMs), new Date(t - policy.windowMs)],
      );
    },
  };
}

interface ThrottleRow {
  failures: number;
  window_started_at: Date | null;
  lockouts: number;
  locked_until: Date | null;
}

function nextState(row: ThrottleRow, t: Date, policy: LockoutPolicy): { next: ThrottleRow; locked: boolean } {
  const windowStart = row.window_started_at && new Date(row.window_started_at);
  const inWindow = windowStart !== null && t.getTime() - windowStart.getTime() < policy.windowMs;
  const failures = (inWindow ? row.failures : 0) + 1;
  if (failures < policy.maxFailures)
    return { next: { ...row, failures, window_started_at: inWindow ? windowStart : t }, locked: false };
  const lastLockEnd = row.locked_until && new Date(row.locked_until);
  const remembered =
    lastLockEnd !== null && t.getTime() - lastLockEnd.getTime() < policy.forgetLockoutsAfterMs;
  const lockouts = (remembered ? row.lockouts : 0) + 1;
  const lockMs = Math.min(policy.firstLockMs * 2 ** (lockouts - 1), policy.maxLockMs);
  return {
    next: { failures: 0, window_started_at: null, lockouts, locked_until: new Date(t.getTime() + lockMs) },
    locked: true,
  };
}

const secondsUntil = (until: Date, t: Date): number =>
  Math.max(1, Math.ceil((until.getTime() - t.getTime()) / 1000));
