import { PulseError } from '@pulse/core';

/**
 * POSTs a JSON body to a webhook and classifies the outcome the way the scheduler retries:
 * network errors, timeouts, 429 and 5xx are transient; other 4xx mean the request or the
 * receiver's configuration is wrong, and sending it again would not help.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { channel: string; timeoutMs?: number },
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      redirect: 'error',
    });
  } catch (err) {
    throw new PulseError('REPORT_DELIVERY_FAILED', `${options.channel} webhook did not answer`, {
      retriable: true,
      cause: err,
      context: { channel: options.channel, host: new URL(url).host },
      hint: 'The receiver is unreachable or slow; the run is retried with backoff.',
    });
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return;
  const retriable = response.status === 429 || response.status >= 500;
  throw new PulseError(
    'REPORT_DELIVERY_FAILED',
    `${options.channel} webhook answered ${response.status}: ${text.slice(0, 200)}`,
    {
      retriable,
      context: { channel: options.channel, host: new URL(url).host, status: response.status },
      hint: retriable
        ? 'The receiver is failing or throttling; the run is retried with backoff.'
        : 'The receiver refused the message: check the webhook URL (it may have been revoked).',
    },
  );
}
