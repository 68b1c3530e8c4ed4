import type { Recipient } from '../definitions/recipients.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import { type Mailer, sendReportEmail } from './email-message.ts';
import { postJson } from './post-json.ts';
import { slackPayload } from './slack-message.ts';
import { teamsPayload } from './teams-message.ts';
import { signWebhook, webhookPayload } from './webhook-message.ts';

export type SendToRecipient = (recipient: Recipient, message: DeliveryMessage) => Promise<void>;

/**
 * The sender for every channel. Each request carries the run id as its idempotency key; errors
 * are PulseErrors whose `retriable` tells the scheduler whether trying again can help.
 */
export function createRecipientSender(options: {
  mailer: Mailer | undefined;
  timeoutMs?: number;
  /** Unix seconds for webhook signatures (the scheduler's clock). */
  nowSeconds?: () => number;
}): SendToRecipient {
  const idempotency = (m: DeliveryMessage) => ({ 'idempotency-key': m.runId });
  const timeouts = { timeoutMs: options.timeoutMs ?? 15_000 };
  return async (recipient, message) => {
    switch (recipient.type) {
      case 'email':
        return sendReportEmail(options.mailer, recipient.address, message);
      case 'slack':
        return postJson(recipient.webhookUrl, JSON.stringify(slackPayload(message)), idempotency(message), {
          channel: 'Slack',
          ...timeouts,
        });
      case 'teams':
        return postJson(recipient.webhookUrl, JSON.stringify(teamsPayload(message)), idempotency(message), {
          channel: 'Teams',
          ...timeouts,
        });
      case 'webhook': {
        const body = JSON.stringify(webhookPayload(message));
        const timestamp = options.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
        return postJson(
          recipient.url,
          body,
          {
            ...idempotency(message),
            'x-pulse-timestamp': String(timestamp),
            'x-pulse-signature': signWebhook(recipient.secret, timestamp, body),
          },
          { channel: 'webhook', ...timeouts },
        );
      }
    }
  };
}
