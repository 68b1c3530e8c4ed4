import { createHash } from 'node:crypto';
import { z } from 'zod';

const httpsOrLoopback = (allowed: RegExp, what: string) =>
  z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .refine((u) => allowed.test(u) || isLoopback(u), {
      message: `expected a ${what} URL (https://…), or a loopback URL for testing`,
    });

/** Receivers on loopback are allowed over http so tests and local setups need no TLS. */
function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

export const emailRecipientSchema = z.object({ type: z.literal('email'), address: z.email() }).strict();
export const slackRecipientSchema = z
  .object({ type: z.literal('slack'), webhookUrl: httpsOrLoopback(/^https:\/\//, 'Slack incoming webhook') })
  .strict();
export const teamsRecipientSchema = z
  .object({ type: z.literal('teams'), webhookUrl: httpsOrLoopback(/^https:\/\//, 'Teams webhook') })
  .strict();
export const webhookRecipientSchema = z
  .object({
    type: z.literal('webhook'),
    url: httpsOrLoopback(/^https:\/\//, 'webhook'),
    /** Signs every request (HMAC-SHA256); at least 16 characters so it cannot be guessed. */
    secret: z.string().min(16).max(500),
  })
  .strict();

export const recipientSchema = z.discriminatedUnion('type', [
  emailRecipientSchema,
  slackRecipientSchema,
  teamsRecipientSchema,
  webhookRecipientSchema,
]);
export type Recipient = z.infer<typeof recipientSchema>;
export type RecipientChannel = Recipient['type'];

/**
 * The stable name of a recipient in delivery records. Webhook URLs carry their credential in the
 * path, so they are stored as a hash, never in plain text.
 */
export function recipientKey(r: Recipient): string {
  if (r.type === 'email') return `email:${r.address.toLowerCase()}`;
  const url = r.type === 'webhook' ? r.url : r.webhookUrl;
  return `${r.type}:${createHash('sha256').update(url).digest('hex').slice(0, 24)}`;
}

/** A recipient as the API shows it: webhook URLs and secrets are credentials, so they are masked. */
export function redactRecipient(r: Recipient): Record<string, string> {
  if (r.type === 'email') return r;
  const url = new URL(r.type === 'webhook' ? r.url : r.webhookUrl);
  const masked = `${url.protocol}//${url.host}/…`;
  return r.type === 'webhook'
    ? { type: r.type, url: masked, secret: '••••', key: recipientKey(r) }
    : { type: r.type, webhookUrl: masked, key: recipientKey(r) };
}
