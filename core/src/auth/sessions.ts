import { PulseError } from '../errors/index.ts';
import type { SqlDriver, User } from '../metadata/index.ts';
import { randomToken, sha256Hex } from './digest.ts';

export interface SessionServiceOptions {
  now?: () => Date;
  /** Signed out after this long without a request; 30 min by default. */
  idleTimeoutMs?: number;
  /** Signed out this long after signing in, however active; 12 h by default. */
  absoluteTimeoutMs?: number;
}

export interface Session {
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  /** The password was right but the second factor is still to come. */
  mfaPending: boolean;
  sourceIp: string | null;
  userAgent: string | null;
}

export type SessionInvalidReason =
  | 'unknown'
  | 'revoked'
  | 'idle_timeout'
  | 'absolute_timeout'
  | 'mfa_pending'
  | 'user_disabled';

export type SessionCheck =
  | { valid: true; user: User & { isAdmin: boolean }; session: Session }
  | { valid: false; reason: SessionInvalidReason };

export type SessionService = ReturnType<typeof createSessionService>;

/**
 * Server-side sessions. The id is 32 random bytes handed to the browser once; the table keeps
 * only its SHA-256, so a database dump cannot be replayed as a cookie.
 */
export function createSessionService(db: SqlDriver, opts: SessionServiceOptions = {}) {
  const now = opts.now ?? (() => new Date());
  const idleMs = opts.idleTimeoutMs ?? 30 * 60_000;
  const absoluteMs = opts.absoluteTimeoutMs ?? 12 * 60 * 60_000;

  async function check(id: string, allowMfaPending: boolean): Promise<SessionCheck> {
    const [row] = await db.query<SessionRow>(
      `SELECT s.*, u.email, u.display_name, u.status, u.created_at AS user_created_at, u.is_admin
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`,
      [sha256Hex(id)],
    );
    if (!row) return { valid: false, reason: 'unknown' };
    const session = toSession(row, idleMs);
    const t = now();
    if (row.revoked_at) return { valid: false, reason: 'revoked' };
    if (session.absoluteExpiresAt <= t) return { valid: false, reason: 'absolute_timeout' };
    if (session.idleExpiresAt <= t) return { valid: false, reason: 'idle_timeout' };
    if (row.status !== 'active') return { valid: false, reason: 'user_disabled' };
    if (session.mfaPending && !allowMfaPending) return { valid: false, reason: 'mfa_pending' };
    const user = {
      id: row.user_id,
      email: row.email,
      displayName: row.display_name,
      status: row.status,
      createdAt: new Date(row.user_created_at).toISOString(),
      isAdmin: row.is_admin,
    };
    return { valid: true, user, session };
  }

  async function insert(
    tx: SqlDriver,
    userId: string,
    meta: { sourceIp?: string | null; userAgent?: string | null; mfaPending?: boolean },
    absoluteExpiresAt?: Date,
    createdAt?: Date,
  ): Promise<string> {
    const id = randomToken(32);
    const t = now();
    await tx.query(
      `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, absolute_expires_at, mfa_pending, source_ip, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        sha256Hex(id),
        userId,
        createdAt ?? t,
        t,
        absoluteExpiresAt ?? new Date(t.getTime() + absoluteMs),
        meta.mfaPending ?? false,
        meta.sourceIp ?? null,
        meta.userAgent?.slice(0, 512) ?? null,
      ],
    );
    return id;
  }

  return {
    /** Returns the id to put in the cookie; it is not stored anywhere. */
    createSession: (
      userId: string,
      meta: { sourceIp?: string | null; userAgent?: string | null; mfaPending?: boolean } = {},
    ): Promise<string> => insert(db, userId, meta),

    /** The user and session behind an id, or why there is none. Does not extend the session. */
    validate: (id: string, options: { allowMfaPending?: boolean } = {}): Promise<SessionCheck> =>
      check(id, options.allowMfaPending ?? false),

    /** Marks activity, pushing the idle timeout back; false when the session is no longer valid. */
    async touch(id: string): Promise<boolean> {
      const result = await check(id, true);
      if (!result.valid) return false;
      await db.query('UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1', [sha256Hex(id), now()]);
      return true;
    },

    /**
     * Replaces the id, invalidating the old one, keeping the absolute timeout. Call on sign-in,
     * after the second factor (with `mfaPending: false`) and on any privilege change, so an id
     * planted in a browser before it gained rights is worthless after.
     */
    async rotate(id: string, change: { mfaPending?: boolean } = {}): Promise<string> {
      const result = await check(id, true);
      if (!result.valid)
        throw new PulseError('SESSION_INVALID', 'the session cannot be rotated because it is not valid', {
          context: { reason: result.reason },
          hint: 'Sign in again.',
        });
      const { session } = result;
      return db.transaction(async (tx) => {
        const revoked = await tx.query(
          `UPDATE sessions SET revoked_at = $2, revoked_reason = 'rotated' WHERE id_hash = $1 AND revoked_at IS NULL RETURNING id_hash`,
          [sha256Hex(id), now()],
        );
        if (revoked.length === 0)
          throw new PulseError('SESSION_INVALID', 'the session was revoked while being rotated', {
            context: { reason: 'revoked' },
            hint: 'Sign in again.',
          });
        return insert(
          tx,
          session.userId,
          { ...session, mfaPending: change.mfaPending ?? session.mfaPending },
          session.absoluteExpiresAt,
          session.createdAt,
        );
      });
    },

    /** Signs one session out; true when it was active. */
    async revoke(id: string, reason = 'logout'): Promise<boolean> {
      const rows = await db.query(
        'UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id_hash = $1 AND revoked_at IS NULL RETURNING id_hash',
        [sha256Hex(id), now(), reason],
      );
      return rows.length > 0;
    },

    /** "Log out everywhere", optionally sparing the session that asked; returns how many ended. */
    async revokeAllForUser(userId: string, options: { except?: string } = {}): Promise<number> {
      const rows = await db.query(
        `UPDATE sessions SET revoked_at = $2, revoked_reason = 'logout_everywhere'
         WHERE user_id = $1 AND revoked_at IS NULL AND id_hash <> $3 RETURNING id_hash`,
        [userId, now(), options.except === undefined ? '' : sha256Hex(options.except)],
      );
      return rows.length;
    },

    /** Active sessions of a user, for a "where you're signed in" list. */
    async listForUser(userId: string): Promise<Session[]> {
      const t = now();
      const rows = await db.query<SessionRow>(
        'SELECT * FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND absolute_expires_at > $2 AND last_seen_at > $3 ORDER BY last_seen_at DESC',
        [userId, t, new Date(t.getTime() - idleMs)],
      );
      return rows.map((r) => toSession(r, idleMs));
    },

    /** Deletes sessions that ended more than a day ago; for a periodic job. */
    async sweep(): Promise<number> {
      const cutoff = new Date(now().getTime() - 24 * 60 * 60_000);
      const rows = await db.query(
        'DELETE FROM sessions WHERE revoked_at < $1 OR absolute_expires_at < $1 OR last_seen_at < $2 RETURNING id_hash',
        [cutoff, new Date(cutoff.getTime() - idleMs)],
      );
      return rows.length;
    },
  };
}

type SessionRow = {
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  absolute_expires_at: Date;
  mfa_pending: boolean;
  source_ip: string | null;
  user_agent: string | null;
  revoked_at: Date | null;
  email: string;
  display_name: string;
  status: User['status'];
  user_created_at: Date;
  is_admin: boolean;
};

function toSession(r: SessionRow, idleMs: number): Session {
  const lastSeenAt = new Date(r.last_seen_at);
  return {
    userId: r.user_id,
    createdAt: new Date(r.created_at),
    lastSeenAt,
    idleExpiresAt: new Date(lastSeenAt.getTime() + idleMs),
    absoluteExpiresAt: new Date(r.absolute_expires_at),
    mfaPending: r.mfa_pending,
    sourceIp: r.source_ip,
    userAgent: r.user_agent,
  };
}
