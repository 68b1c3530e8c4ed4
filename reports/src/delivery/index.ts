export { createRecipientSender, type SendToRecipient } from './deliver-to-recipient.ts';
export type { DeliveredFile, DeliveryMessage, HeadlineKpi, MessageSummary } from './delivery-message.ts';
export {
  createDownloadArea,
  type DownloadArea,
  type DownloadAreaOptions,
  type SignedLink,
} from './download-area.ts';
export { createMailer, emailMessageId, type Mailer } from './email-message.ts';
export { slackPayload } from './slack-message.ts';
export { teamsPayload } from './teams-message.ts';
export { signWebhook, verifyWebhookSignature, webhookPayload } from './webhook-message.ts';
