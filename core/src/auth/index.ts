// Sign-in, as the HTTP layer strings these together:
//   1. accounts.login(email, password, ip) → { user, mfa }; errors INVALID_CREDENTIALS,
//      ACCOUNT_LOCKED / LOGIN_THROTTLED (context.retryAfterSeconds → Retry-After), ACCOUNT_DISABLED.
//   2. sessions.createSession(user.id, { sourceIp, userAgent, mfaPending: mfa !== 'none' }) and
//      Set-Cookie: sessionCookie(id, { secure }).
//   3. mfa === 'verify': mfa.verify(userId, code, ip), then sessions.rotate(id, { mfaPending: false });
//      mfa === 'enrol': startEnrolment / confirmEnrolment (show the recovery codes once), then rotate.
//   4. Each request: sessions.validate(cookie id) and sessions.touch; unsafe methods also
//      verifyCsrf(id, header, deriveKey(serverSecret, 'csrf')).
export {
  createAccountService,
  type AccountService,
  type AccountServiceOptions,
  type LoginResult,
  type MfaStep,
  type SetupToken,
} from './accounts.ts';
export { csrfTokenFor, verifyCsrf } from './csrf.ts';
export { isCommonPassword } from './common-passwords.ts';
export { defaultLockoutPolicy, type LockoutPolicy } from './login-throttle.ts';
export {
  argon2Options,
  checkPasswordPolicy,
  describePasswordProblem,
  hashPassword,
  needsRehash,
  passwordLength,
  type PasswordContext,
  type PasswordProblem,
  verifyPassword,
} from './passwords.ts';
export { deriveKey } from './secret-box.ts';
export { clearSessionCookie, readSessionCookie, sessionCookie, sessionCookieName } from './session-cookie.ts';
export {
  createSessionService,
  type Session,
  type SessionCheck,
  type SessionInvalidReason,
  type SessionService,
  type SessionServiceOptions,
} from './sessions.ts';
export {
  createMfaService,
  type MfaEnrolment,
  type MfaService,
  type MfaServiceOptions,
  type MfaVerified,
} from './totp.ts';
export {
  type ApiKeyCaller,
  type ApiKeyInfo,
  type ApiKeyService,
  apiKeyPrefix,
  createApiKeyService,
} from './api-keys.ts';
export {
  createOidcService,
  type OidcService,
  type OidcServiceOptions,
  type OidcSignIn,
  type OidcStart,
  safeReturnTo,
} from './oidc.ts';
export { mapRole, type ProvisionedUser } from './oidc-provisioning.ts';
