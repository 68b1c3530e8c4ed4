/** An API refusal as the person at the screen needs it: what went wrong and what to do. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;
  constructor(status: number, code: string, message: string, hint: string | undefined) {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

/**
 * JSON in, JSON out, same-origin with the session cookie (the browser's Fetch Metadata vouches
 * for unsafe methods). Errors keep the server's code, message and hint.
 */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? null : JSON.stringify(init.body),
    signal: init.signal ?? null,
  });
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string; hint?: string };
  };
  if (!res.ok)
    throw new ApiError(
      res.status,
      body.error?.code ?? `HTTP_${res.status}`,
      body.error?.message ?? `The server answered ${res.status}.`,
      body.error?.hint ??
        (res.status === 401 ? 'Sign in again.' : res.status === 403 ? 'Ask an admin for access.' : undefined),
    );
  return body as T;
}

/** Colors of the current theme for charts, read from the CSS custom properties. */
export function themeColors(): { text: string; grid: string; palette: string[] } {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--muted', '#6b7280'),
    grid: v('--grid', '#eef0f4'),
    palette: [
      v('--accent', '#6d5dfc'),
      v('--social', '#0ea5e9'),
      v('--crm', '#f59e0b'),
      v('--ok', '#10b981'),
      '#ef4444',
      '#8b5cf6',
      '#14b8a6',
    ],
  };
}
