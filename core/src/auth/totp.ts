import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { PulseError } from '../errors/index.ts';
import type { SqlDriver } from '../metadata/index.ts';
import { hmacHex } from './digest.ts';
import { createLoginThrottle, defaultLockoutPolicy, emailKey, type LockoutPolicy } from './login-throttle.ts';
import { generateRecoveryCode, normalizeRecoveryCode, recoveryCodeCount } from './recovery-codes.ts';
import { deriveKey, open, seal } from './secret-box.ts';

export interface MfaServiceOptions {
  /** The server's auth secret (≥ 32 bytes); TOTP secrets are sealed and recovery codes peppered with keys derived from it. */
  serverSecret: string | Uint8Array;
  now?: () => Date;
  issuer?: string;
  /** Wrong codes count as failed sign-ins of the account, under this policy. */
  lockout?: Partial<LockoutPolicy>;
}

export interface MfaEnrolment {
  /** Base32, for typing into an app that cannot scan. */
  secret: string;
  otpauthUri: string;
  /** The URI as a PNG data URL, for an <img>. */
  qrCodeDataUrl: string;
}

export interface MfaVerified {
  method: 'totp' | 'recovery_code';
  recoveryCodesLeft: number;
}

export type MfaService = ReturnType<typeof createMfaService>;

// Codes from one step before or after the server's clock are accepted: phones drift.
const stepSeconds = 30;
const toleranceSeconds = stepSeconds;

/** TOTP (RFC 6238) second factor with one-time recovery codes. */
export function createMfaService(db: SqlDriver, opts: MfaServiceOptions) {
  const now = opts.now ?? (() => new Date());
  const issuer = opts.issuer ?? 'Pulse';
  const sealKey = deriveKey(opts.serverSecret, 'mfa-totp-secret');
  const pepper = deriveKey(opts.serverSecret, 'mfa-recovery-code');
  const throttle = createLoginThrottle(db, now, { ...defaultLockoutPolicy, ...opts.lockout });
  const epoch = () => Math.floor(now().getTime() / 1000);

  async function checkTotp(
    secretSealed: string,
    code: string,
    lastStep: number | null,
  ): Promise<number | null> {
    const result = await verify({
      secret: open(sealKey, secretSealed),
      token: code,
      epoch: epoch(),
      epochTolerance: toleranceSeconds,
      ...(lastStep === null ? {} : { afterTimeStep: lastStep }),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  }

  async function replaceRecoveryCodes(tx: SqlDriver, userId: string): Promise<string[]> {
    const codes = Array.from({ length: recoveryCodeCount }, generateRecoveryCode);
    await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
    for (const code of codes)
      await tx.query('INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)', [
        userId,
        hmacHex(pepper, normalizeRecoveryCode(code)),
      ]);
    return codes;
  }

  return {
    /** Starts (or restarts) enrolment; the factor is not required until confirmed. */
    async startEnrolment(userId: string): Promise<MfaEnrolment> {
      const [user] = await db.query<{ email: string; confirmed_at: Date | null }>(
        'SELECT u.email, m.confirmed_at FROM users u LEFT JOIN mfa m ON m.user_id = u.id WHERE u.id = $1',
        [userId],
      );
      if (!user) throw new PulseError('USER_NOT_FOUND', 'no such user', { context: { userId } });
      if (user.confirmed_at)
        throw new PulseError('MFA_ALREADY_ENABLED', 'two-factor sign-in is already set up', {
          hint: 'Disable it first to enrol a new device.',
        });
      const secret = generateSecret();
      await db.query(
        `INSERT INTO mfa (user_id, secret_sealed, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, created_at = EXCLUDED.created_at`,
        [userId, seal(sealKey, secret), now()],
      );
      const otpauthUri = generateURI({ issuer, label: user.email, secret });
      return { secret, otpauthUri, qrCodeDataUrl: await QRCode.toDataURL(otpauthUri) };
    },

    /** Turns the factor on with a first code from the app; returns the recovery codes, shown once. */
    async confirmEnrolment(userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
      const [row] = await db.query<{ secret_sealed: string; confirmed_at: Date | null }>(
        'SELECT secret_sealed, confirmed_at FROM mfa WHERE user_id = $1',
        [userId],
      );
      if (!row || row.confirmed_at)
        throw new PulseError('MFA_NOT_ENROLLING', 'there is no two-factor enrolment to confirm', {
          hint: 'Start the enrolment again.',
        });
      const step = await checkTotp(row.secret_sealed, normalizeTotp(code), null);
      if (step === null) throw invalidCode();
      return db.transaction(async (tx) => {
        await tx.query('UPDATE mfa SET confirmed_at = $2, last_used_step = $3 WHERE user_id = $1', [
          userId,
          now(),
          step,
        ]);
        return { recoveryCodes: await replaceRecoveryCodes(tx, userId) };
      });
    },

    /**
     * Checks the second factor at sign-in: a 6-digit code from the app, or a recovery code, each
     * accepted once. Throws MFA_CODE_INVALID, or ACCOUNT_LOCKED after repeated wrong codes.
     */
    async verify(userId: string, code: string, sourceIp: string): Promise<MfaVerified> {
      const [row] = await db.query<{
        email: string;
        secret_sealed: string;
        last_used_step: string | number | null;
      }>(
        'SELECT u.email, m.secret_sealed, m.last_used_step FROM mfa m JOIN users u ON u.id = m.user_id WHERE m.user_id = $1 AND m.confirmed_at IS NOT NULL',
        [userId],
      );
      if (!row)
        throw new PulseError('MFA_NOT_ENABLED', 'two-factor sign-in is not set up for this user', {
          context: { userId },
        });
      const key = emailKey(row.email);
      await throttle.assertMayTry(key, sourceIp);
      const totp = normalizeTotp(code);
      const accepted = /^\d{6}$/.test(totp)
        ? await acceptTotp(
            row.secret_sealed,
            totp,
            row.last_used_step === null ? null : Number(row.last_used_step),
          )
        : await acceptRecoveryCode(code);
      if (!accepted) {
        if (await throttle.recordFailure(key, sourceIp)) await throttle.assertMayTry(key, sourceIp);
        throw invalidCode();
      }
      await throttle.reset(key);
      return { method: accepted, recoveryCodesLeft: await recoveryCodesLeft(userId) };

      async function acceptTotp(sealed: string, token: string, lastStep: number | null) {
        const step = await checkTotp(sealed, token, lastStep);
        if (step === null) return null;
        // Claiming the step is one conditional UPDATE, so two requests racing with the same code
        // cannot both win.
        const claimed = await db.query(
          'UPDATE mfa SET last_used_step = $2 WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2) RETURNING user_id',
          [userId, step],
        );
        return claimed.length > 0 ? ('totp' as const) : null;
      }
      async function acceptRecoveryCode(input: string) {
        const used = await db.query(
          'UPDATE mfa_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING user_id',
          [userId, hmacHex(pepper, normalizeRecoveryCode(input)), now()],
        );
        return used.length > 0 ? ('recovery_code' as const) : null;
      }
    },

    /** New recovery codes, invalidating the old ones; shown once. */
    async regenerateRecoveryCodes(userId: string): Promise<string[]> {
      return db.transaction((tx) => replaceRecoveryCodes(tx, userId));
    },

    async disable(userId: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
        await tx.query('DELETE FROM mfa WHERE user_id = $1', [userId]);
      });
    },

    async status(
      userId: string,
    ): Promise<{ enabled: boolean; enrolling: boolean; recoveryCodesLeft: number }> {
      const [row] = await db.query<{ confirmed_at: Date | null }>(
        'SELECT confirmed_at FROM mfa WHERE user_id = $1',
        [userId],
      );
      return {
        enabled: Boolean(row?.confirmed_at),
        enrolling: row !== undefined && !row.confirmed_at,
        recoveryCodesLeft: await recoveryCodesLeft(userId),
      };
    },

    async workspaceRequiresMfa(workspaceId: string): Promise<boolean> {
      const [row] = await db.query<{ require_mfa: boolean }>(
        'SELECT require_mfa FROM workspaces WHERE id = $1',
        [workspaceId],
      );
      return row?.require_mfa ?? false;
    },

    async setWorkspaceRequiresMfa(workspaceId: string, required: boolean): Promise<void> {
      await db.query('UPDATE workspaces SET require_mfa = $2 WHERE id = $1', [workspaceId, required]);
    },
  };

  async function recoveryCodesLeft(userId: string): Promise<number> {
    const [row] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL',
      [userId],
    );
    return row?.n ?? 0;
  }
}

const normalizeTotp = (code: string): string => code.replace(/\s/g, '');

const invalidCode = (): PulseError =>
  new PulseError('MFA_CODE_INVALID', 'the code is wrong, expired or already used', {
    hint: 'Enter the current code from the authenticator app, or a recovery code.',
  });
