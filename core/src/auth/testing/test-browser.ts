// Test helper: the little of a browser that sign-in flows need — a cookie jar per origin and
// redirects handed back to the caller (fetch with `redirect: 'manual'`), so a test sees and
// asserts every hop and every Set-Cookie.

export interface TestBrowser {
  /** fetch with this browser's cookies; never follows redirects. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** The cookie `name` this browser holds for `url`'s origin. */
  cookie(url: string, name: string): string | undefined;
  /** Sets or replaces a cookie by hand (to tamper with it, or to replay an old one). */
  setCookie(url: string, name: string, value: string): void;
}

/**
 * A fresh browser with no cookies. Cookies are kept per origin (scheme, host and port) and sent
 * on every request there, whatever their Path: enough for flows whose cookie names differ.
 */
export function createTestBrowser(): TestBrowser {
  const jar = new Map<string, Map<string, string>>();
  const forOrigin = (url: string) => {
    const origin = new URL(url).origin;
    const cookies = jar.get(origin) ?? new Map<string, string>();
    jar.set(origin, cookies);
    return cookies;
  };
  return {
    async fetch(url, init = {}) {
      const cookies = forOrigin(url);
      const headers = new Headers(init.headers);
      if (cookies.size > 0) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
      const res = await fetch(url, { ...init, headers, redirect: 'manual' });
      for (const line of res.headers.getSetCookie()) {
        const [pair = '', ...attributes] = line.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        const expired = attributes.some((a) => {
          const [k = '', v = ''] = a.split('=').map((s) => s.trim());
          if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
          if (k.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
          return false;
        });
        if (expired || value === '') cookies.delete(name);
        else cookies.set(name, value);
      }
      return res;
    },
    cookie: (url, name) => forOrigin(url).get(name),
    setCookie: (url, name, value) => {
      forOrigin(url).set(name, value);
    },
  };
}
