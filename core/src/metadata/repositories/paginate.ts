import { PulseError } from '../../errors/index.ts';

export interface PageRequest {
  limit?: number;
  cursor?: string | null;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Keyset pagination on (created_at, id): stable while rows are added, and each page is an index
 * range scan however deep the reader goes. The cursor is opaque to callers.
 */
export function pageClause(
  request: PageRequest,
  firstParam: number,
): { where: string; limit: number; params: unknown[] } {
  const limit = Math.min(Math.max(request.limit ?? 50, 1), 500);
  if (!request.cursor) return { where: 'TRUE', limit, params: [] };
  const [createdAt, id] = decodeCursor(request.cursor);
  return {
    where: `(created_at, id) > ($${firstParam}::timestamptz, $${firstParam + 1}::uuid)`,
    limit,
    params: [createdAt, id],
  };
}

export function toPage<T extends { id: string; createdAt: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > limit && last
        ? Buffer.from(JSON.stringify([last.createdAt, last.id])).toString('base64url')
        : null,
  };
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string'))
      return value as [string, string];
  } catch {}
  throw new PulseError('INVALID_CURSOR', 'the pagination cursor is not valid', {
    hint: 'Pass back the nextCursor of the previous page unchanged.',
  });
}
