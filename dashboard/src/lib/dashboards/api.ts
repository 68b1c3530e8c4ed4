/** Calls the Pulse API from the browser, same-origin with the session cookie (Fetch Metadata vouches for unsafe methods); an error body's message and hint become the thrown Error's text. */
export async function api<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, {
    ...init,
    headers: {
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
  });
  if (res.status === 204) return undefined as T;
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = (body as { error?: { message?: string; hint?: string } }).error;
    throw new Error(
      [error?.message ?? `${res.status} ${res.statusText}`, error?.hint].filter(Boolean).join(' — '),
    );
  }
  return body as T;
}

/** Which underlying rows a metric source drills down to. */
export function rowsEntityOf(source: string | undefined): 'events' | 'posts' | 'deals' | undefined {
  if (!source) return undefined;
  if (source === 'product_events') return 'events';
  if (['post_activity', 'posts', 'followers'].includes(source)) return 'posts';
  return 'deals';
}
