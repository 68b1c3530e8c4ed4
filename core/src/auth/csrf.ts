import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A CSRF token bound to the session: HMAC-SHA256 of the session id under a server key. Nothing
 * is stored; a new session id (rotation) gives a new token, and a token from another session
 * fails.
 */
export function csrfTokenFor(sessionId: string, secret: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`csrf:${sessionId}`).digest('base64url');
}

export function verifyCsrf(
  sessionId: string,
  token: string | undefined | null,
  secret: string | Uint8Array,
): boolean {
  if (!token) return false;
  const expected = Buffer.from(csrfTokenFor(sessionId, secret));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
