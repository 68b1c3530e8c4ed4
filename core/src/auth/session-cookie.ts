export const sessionCookieName = 'pulse_session';

/**
 * The Set-Cookie value for a session id. No Max-Age: the browser drops it on close and the
 * server enforces the idle and absolute timeouts. SameSite=Lax keeps links from mail working
 * while cross-site POSTs arrive without it; CSRF tokens cover the rest.
 */
export function sessionCookie(id: string, options: { secure: boolean }): string {
  return `${sessionCookieName}=${id}; HttpOnly; SameSite=Lax; Path=/${options.secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that removes the session cookie (on logout). */
export function clearSessionCookie(options: { secure: boolean }): string {
  return `${sessionCookieName}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0${options.secure ? '; Secure' : ''}`;
}

/** The session id from a Cookie request header, if any. */
export function readSessionCookie(cookieHeader: string | undefined | null): string | undefined {
  for (const part of cookieHeader?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === sessionCookieName)
      return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
