import { PulseError } from '@pulse/core';

/**
 * ClickHouse error codes that mean "try again later": the server is busy, a part is being
 * merged, the network blinked. Anything else (syntax, unknown table, type mismatch) will fail the
 * same way on retry.
 */
const retriableCodes = new Set([
  '159', // TIMEOUT_EXCEEDED
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '203', // NO_FREE_CONNECTION
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '241', // MEMORY_LIMIT_EXCEEDED
  '252', // TOO_MANY_PARTS
  '285', // TOO_FEW_LIVE_REPLICAS
  '319', // UNKNOWN_STATUS_OF_INSERT
  '425', // SYSTEM_ERROR
  '999', // KEEPER_EXCEPTION
]);
const networkErrors = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

export function isRetriableWarehouseError(err: unknown): boolean {
  // chDB's native insert errors carry the engine's code as `clickhouseCode`.
  const e = err as { code?: unknown; clickhouseCode?: unknown; cause?: { code?: unknown } } | undefined;
  const code = String(e?.clickhouseCode ?? e?.code ?? e?.cause?.code ?? '');
  return (
    retriableCodes.has(code) || networkErrors.has(code) || /timeout/i.test(String((err as Error)?.message))
  );
}

/** Translates an engine or client error into a PulseError once, at the warehouse edge. */
export function translateWarehouseError(
  err: unknown,
  code: string,
  message: string,
  context: Record<string, unknown> = {},
): PulseError {
  if (err instanceof PulseError) return err;
  const e = err as { code?: unknown; type?: unknown; message?: unknown };
  const retriable = isRetriableWarehouseError(err);
  return new PulseError(code, `${message}: ${String(e?.message ?? err)}`, {
    retriable,
    cause: err,
    context: { ...context, clickhouseCode: e?.code, clickhouseType: e?.type },
    hint: retriable
      ? 'The warehouse is busy or unreachable; the call is safe to retry.'
      : 'This query will fail the same way on retry; check the query and the schema (`pulse migrate --status`).',
  });
}
