import type { DeliveryMessage } from './delivery-message.ts';

/**
 * A Microsoft Teams message with one Adaptive Card attachment: the format both the classic
 * Office 365 connector webhooks and the Workflows ("Post to a channel when a webhook request is
 * received") accept. Version 1.4 is the newest every Teams client renders.
 * https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
 */
export function teamsPayload(message: DeliveryMessage) {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: message.title, size: 'Large', weight: 'Bolder', wrap: true },
            {
              type: 'TextBlock',
              text: `${message.period} · data as of ${message.dataAsOf}`,
              isSubtle: true,
              spacing: 'None',
              wrap: true,
            },
            ...(message.kpis.length
              ? [
                  {
                    type: 'FactSet',
                    facts: message.kpis.map((k) => ({
                      title: k.label,
                      value: k.change ? `${k.value} (${k.change})` : k.value,
                    })),
                  },
                ]
              : []),
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'Open report', url: message.link }],
        },
      },
    ],
  };
}
