import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeliveryMessage } from './delivery-message.ts';
import { createDownloadArea } from './download-area.ts';
import { emailMessageId } from './email-message.ts';
import { slackPayload } from './slack-message.ts';
import { signWebhook, verifyWebhookSignature } from './webhook-message.ts';

const dir = mkdtempSync(join(tmpdir(), 'pulse-dl-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('download links', () => {
  const area = createDownloadArea({
    dir,
    serverSecret: 'unit-secret-unit-secret-unit-secret',
    publicUrl: 'https://pulse.example/',
  });
  const at = new Date('2026-11-09T08:00:00Z');

  it('serve their file until they expire, and only their file', async () => {
    await area.write('run_1/report.csv', async (out) => {
      out.end('a,b\r\n');
      await new Promise((resolve) => out.once('close', resolve));
    });
    const link = area.link('run_1/report.csv', new Date(at.getTime() + 3_600_000));
    const url = new URL(link.url);
    expect(url.origin + url.pathname).toBe('https://pulse.example/api/v1/downloads/run_1/report.csv');
    const expires = url.searchParams.get('expires') ?? undefined;
    const signature = url.searchParams.get('signature') ?? undefined;
    expect(area.verify('run_1/report.csv', expires, signature, at)).toBe(join(dir, 'run_1/report.csv'));
    expect(() => area.verify('run_1/other.csv', expires, signature, at)).toThrowError(
      expect.objectContaining({ code: 'DOWNLOAD_LINK_INVALID' }),
    );
    expect(() => area.verify('run_1/report.csv', String(Number(expires) + 60), signature, at)).toThrowError(
      expect.objectContaining({ code: 'DOWNLOAD_LINK_INVALID' }),
    );
    expect(() =>
      area.verify('run_1/report.csv', expires, signature, new Date(at.getTime() + 3_600_000)),
    ).toThrowError(expect.objectContaining({ code: 'DOWNLOAD_LINK_EXPIRED' }));
  });

  it('never reach outside the downloads folder, even with a valid signature', () => {
    const link = new URL(area.link('../secret.key', new Date(at.getTime() + 60_000)).url);
    expect(() =>
      area.verify(
        '../secret.key',
        link.searchParams.get('expires') ?? undefined,
        link.searchParams.get('signature') ?? undefined,
        at,
      ),
    ).toThrowError(expect.objectContaining({ code: 'DOWNLOAD_NOT_FOUND' }));
  });
});

describe('webhook signatures', () => {
  const body = JSON.stringify({ type: 'report.delivered', runId: 'r1' });
  const signature = signWebhook('s3cret-s3cret-s3cret', 1_800_000_000, body);

  it('verify over the timestamp and the exact body', () => {
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    const headers = { timestamp: '1800000000', signature };
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', headers, body, 1_800_000_010)).toBe(true);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', headers, `${body} `, 1_800_000_010)).toBe(false);
    expect(
      verifyWebhookSignature(
        's3cret-s3cret-s3cret',
        { ...headers, timestamp: '1800000001' },
        body,
        1_800_000_010,
      ),
    ).toBe(false);
  });

  it('refuse a replay older than the tolerance', () => {
    expect(
      verifyWebhookSignature(
        's3cret-s3cret-s3cret',
        { timestamp: '1800000000', signature },
        body,
        1_800_000_301,
      ),
    ).toBe(false);
  });
});

describe('messages', () => {
  const message: DeliveryMessage = {
    runId: 'sched@2026-11-09T08:00:00.000Z',
    title: 'Sales <EU> & co',
    period: '2–8 November 2026',
    timezone: 'UTC',
    generatedAt: '2026-11-09 08:00 (UTC)',
    dataAsOf: '2026-11-09 07:59 (UTC)',
    filters: [],
    kpis: [{ label: 'Revenue', value: '1,200.00 EUR', change: '+3.0%' }],
    files: [],
    link: 'https://pulse.example/x',
  };

  it('escape Slack mrkdwn control characters outside the plain-text header', () => {
    const payload = slackPayload(message);
    expect(payload.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Sales <EU> & co', emoji: false },
    });
    expect(JSON.stringify(payload.blocks[2])).toContain('*Revenue*\\n1,200.00 EUR  (+3.0%)');
  });

  it('give every e-mail of one run the same Message-ID in the sender’s domain', () => {
    const id = emailMessageId(message.runId, 'Pulse <reports@acme.example>');
    expect(id).toMatch(/^<run\.[0-9a-f]{32}@acme\.example>$/);
    expect(emailMessageId(message.runId, 'reports@acme.example')).toBe(id);
    expect(emailMessageId('another-run', 'reports@acme.example')).not.toBe(id);
  });
});
