import { createHash } from 'node:crypto';
import { PulseError, type SmtpConfig } from '@pulse/core';
import nodemailer, { type Transporter } from 'nodemailer';
import type { DeliveredFile, DeliveryMessage } from './delivery-message.ts';

export interface Mailer {
  transporter: Transporter;
  from: string;
  attachmentMaxBytes: number;
}

/** The SMTP transport of config.smtp; undefined when PULSE_SMTP_URL is unset (e-mail is off). */
export function createMailer(smtp: SmtpConfig): Mailer | undefined {
  if (!smtp.url) return undefined;
  return {
    transporter: nodemailer.createTransport(smtp.url),
    from: smtp.from,
    attachmentMaxBytes: smtp.attachmentMaxBytes,
  };
}

/**
 * Sends one report e-mail. Files up to `attachmentMaxBytes` are attached, larger ones become
 * expiring download links. The Message-ID is derived from the run id, so a resend after a crash
 * is the same message to the recipient's mail client; X-Pulse-Run-Id carries the id itself.
 */
export async function sendReportEmail(mailer: Mailer | undefined, to: string, message: DeliveryMessage) {
  if (!mailer)
    throw new PulseError('SMTP_UNAVAILABLE', 'e-mail delivery is off', {
      hint: 'Set PULSE_SMTP_URL (and PULSE_SMTP_FROM) to send reports by e-mail.',
    });
  const attached = message.files.filter((f) => f.bytes <= mailer.attachmentMaxBytes);
  const linked = message.files.filter((f) => f.bytes > mailer.attachmentMaxBytes);
  try {
    await mailer.transporter.sendMail({
      from: mailer.from,
      to,
      subject: `${message.title} — ${message.period}`,
      messageId: emailMessageId(message.runId, mailer.from),
      headers: { 'X-Pulse-Run-Id': message.runId },
      text: emailText(message, linked),
      html: emailHtml(message, linked),
      attachments: attached.map((f) => ({ filename: f.name, path: f.filePath, contentType: f.contentType })),
    });
  } catch (err) {
    const e = err as { code?: string; responseCode?: number };
    // 4xx SMTP replies and connection trouble are temporary by definition (RFC 5321 §4.2.1).
    const retriable =
      e.responseCode === undefined ? e.code !== 'EENVELOPE' : e.responseCode >= 400 && e.responseCode < 500;
    throw new PulseError('REPORT_DELIVERY_FAILED', `e-mail to ${to} failed: ${(err as Error).message}`, {
      retriable,
      cause: err,
      context: { channel: 'email', responseCode: e.responseCode, code: e.code },
      hint: retriable
        ? 'The mail server is unreachable or deferred the message; the run is retried with backoff.'
        : 'The mail server refused the message: check the address and PULSE_SMTP_FROM.',
    });
  }
}

/** "<run.3f2a…@example.com>": stable per run, in the sender's domain as RFC 5322 recommends. */
export function emailMessageId(runId: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'pulse.localhost';
  return `<run.${createHash('sha256').update(runId).digest('hex').slice(0, 32)}@${domain}>`;
}

function emailText(m: DeliveryMessage, linked: DeliveredFile[]): string {
  return [
    m.title,
    `${m.period} · data as of ${m.dataAsOf}`,
    ...(m.filters.length ? [`Filters: ${m.filters.join(', ')}`] : []),
    '',
    ...m.kpis.map((k) => `${k.label}: ${k.value}${k.change ? ` (${k.change})` : ''}`),
    '',
    ...linked.map(
      (f) => `${f.name} (${sizeLabel(f.bytes)}): ${f.url} — link expires ${f.expiresAt.toISOString()}`,
    ),
    `Open the report: ${m.link}`,
  ].join('\n');
}

function emailHtml(m: DeliveryMessage, linked: DeliveredFile[]): string {
  const rows = m.kpis
    .map(
      (k) =>
        `<tr><td style="padding:4px 12px 4px 0;color:#6b7280">${esc(k.label)}</td><td style="padding:4px 0;font-weight:600">${esc(k.value)}${k.change ? ` <span style="color:#6b7280">(${esc(k.change)})</span>` : ''}</td></tr>`,
    )
    .join('');
  const links = linked
    .map(
      (f) =>
        `<li><a href="${esc(f.url)}">${esc(f.name)}</a> (${sizeLabel(f.bytes)}, link expires ${esc(f.expiresAt.toISOString())})</li>`,
    )
    .join('');
  return `<!doctype html><html><body style="font-family:sans-serif">
<h2 style="margin:0">${esc(m.title)}</h2>
<p style="color:#6b7280;margin:4px 0 16px">${esc(m.period)} · data as of ${esc(m.dataAsOf)}${m.filters.length ? ` · ${esc(m.filters.join(', '))}` : ''}</p>
${rows ? `<table>${rows}</table>` : ''}
${links ? `<p>Too large to attach:</p><ul>${links}</ul>` : ''}
<p><a href="${esc(m.link)}">Open the report</a></p>
</body></html>`;
}

const esc = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const sizeLabel = (bytes: number) =>
  bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
