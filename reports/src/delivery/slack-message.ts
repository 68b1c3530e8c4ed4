import type { DeliveryMessage } from './delivery-message.ts';

/**
 * A Slack incoming-webhook payload (Block Kit): a header, the period, up to six headline KPIs
 * as section fields (Slack allows ten fields of 2000 characters), and a button to the report.
 * `text` is the notification fallback Slack requires when `blocks` are sent.
 * https://api.slack.com/messaging/webhooks · https://api.slack.com/reference/block-kit/blocks
 */
export function slackPayload(message: DeliveryMessage) {
  const fields = message.kpis.map((k) => ({
    type: 'mrkdwn' as const,
    text: `*${escapeMrkdwn(k.label)}*\n${escapeMrkdwn(k.value)}${k.change ? `  (${k.change})` : ''}`,
  }));
  return {
    text: `${message.title} — ${message.period}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: message.title.slice(0, 150), emoji: false } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: escapeMrkdwn(
              `${message.period} · data as of ${message.dataAsOf}${message.filters.length ? ` · ${message.filters.join(', ')}` : ''}`,
            ),
          },
        ],
      },
      ...(fields.length ? [{ type: 'section', fields }] : []),
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Open report' },
            url: message.link,
            action_id: 'open_report',
          },
        ],
      },
    ],
  };
}

/** Slack mrkdwn treats &, < and > as control characters. */
const escapeMrkdwn = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
