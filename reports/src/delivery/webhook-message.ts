import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DeliveryMessage } from './delivery-message.ts';

/**
 * The generic webhook: a JSON body (below) POSTed with three headers —
 *
 *   Idempotency-Key:  the run id; the same run always carries the same key, so a receiver that
 *                     saw it already can ignore a repeat after a crash.
 *   X-Pulse-Timestamp: Unix seconds when the request was signed.
 *   X-Pulse-Signature: "v1=" + hex HMAC-SHA256(secret, `${timestamp}.${raw body}`).
 *
 * To verify: recompute the HMAC over the timestamp, a dot and the raw body bytes, compare in
 * constant time, and refuse timestamps older than five minutes (replays). `verifyWebhookSignature`
 * does exactly that.
 */
export function webhookPayload(message: DeliveryMessage) {
  return {
    type: 'report.delivered',
    version: 1,
    runId: message.runId,
    report: { title: message.title, period: message.period, timezone: message.timezone },
    generatedAt: message.generatedAt,
    dataAsOf: message.dataAsOf,
    filters: message.filters,
    kpis: message.kpis,
    files: message.files.map((f) => ({
      format: f.format,
      name: f.name,
      bytes: f.bytes,
      contentType: f.contentType,
      url: f.url,
      expiresAt: f.expiresAt.toISOString(),
    })),
  };
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does with the headers above; `now` in Unix seconds. */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  now: number,
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const actual = Buffer.from(headers.signature ?? '');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
