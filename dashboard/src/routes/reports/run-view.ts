/**
 * Runs of a schedule as the API shows them (GET /api/v1/report-runs), and what the run history
 * tells a person to do about one that failed.
 */
export type RunStatus = 'pending' | 'running' | 'retrying' | 'succeeded' | 'failed';

export interface RunSummary {
  status: RunStatus;
  nextAttemptAt: string | null;
}

export interface DeliverySummary {
  channel: string;
  status: 'sending' | 'sent' | 'failed';
}

/** What happens next to a run that did not succeed, and what the person can do; null otherwise. */
export function runRetryHint(run: RunSummary, when: (iso: string) => string): string | null {
  if (run.status === 'retrying')
    return run.nextAttemptAt
      ? `Pulse retries it at ${when(run.nextAttemptAt)}; recipients it already reached are skipped.`
      : 'Pulse retries it shortly; recipients it already reached are skipped.';
  if (run.status === 'failed')
    return 'No retries are left. Fix the cause named here (Edit the schedule for a recipient), then press “Send now”: that is a new run, sent to every recipient.';
  return null;
}

/** What to check for a delivery that failed, by channel. */
export function deliveryRetryHint(delivery: DeliverySummary): string | null {
  if (delivery.status !== 'failed') return null;
  const check: Record<string, string> = {
    email: 'Check the address and the SMTP settings',
    slack: 'Check the Slack incoming-webhook URL',
    teams: 'Check the Teams incoming-webhook URL',
    webhook: 'Check that the webhook URL answers 2xx and verifies the signature',
  };
  return `${check[delivery.channel] ?? 'Check the recipient'}, then press “Send now”.`;
}
