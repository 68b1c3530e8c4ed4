import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { examples } from '../events/index.ts';
import { createLogger } from './create-logger.ts';
import { contractPiiPaths } from './mask-pii.ts';

/** A logger whose JSON lines are kept in memory. */
function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).trim().split('\n'));
      done();
    },
  });
  const logger = createLogger({ level: 'info', serviceName: 'test' }, sink);
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('PII masking in logs', () => {
  it('reads the PII fields from the event contract', () => {
    expect([...contractPiiPaths].sort()).toEqual(
      expect.arrayContaining([
        'attributes.email',
        'attributes.name',
        'attributes.phone',
        'author.id',
        'text',
        'traits',
        'userId',
      ]),
    );
  });

  it('masks the contract PII fields of every example event that is logged', () => {
    const { logger, lines, records } = capture();
    for (const event of examples) logger.info({ event }, 'event received');
    const text = lines.join('\n');
    expect(text).not.toContain('u_42');
    expect(text).not.toContain('ada@example.com');
    const identify = records().find((r) => (r.event as { type: string }).type === 'identify')!;
    expect(identify.event).toMatchObject({ eventId: 'msg-2', traits: '[redacted]', userId: '[redacted]' });
    // Fields that are not personal data stay readable.
    expect(identify.event).toMatchObject({ family: 'product', workspaceId: 'ws_demo' });
  });

  it('masks e-mail addresses, phone numbers, IPs and secrets at any depth and in messages', () => {
    const { logger, lines, records } = capture();
    logger.warn(
      {
        user: { profile: { contact: { Email: 'Grace@Example.org', phone: '+44 20 7946 0958' } } },
        ip: '203.0.113.9',
      },
      'login failed for grace@example.org',
    );
    logger.info(
      { connector: { clientSecret: 'li-secret', accessToken: 'tok-1' }, note: 'ping ops@corp.example' },
      'refreshed',
    );
    const text = lines.join('\n');
    for (const secret of [
      'Grace@Example.org',
      'grace@example.org',
      '7946',
      '203.0.113.9',
      'li-secret',
      'tok-1',
      'ops@corp',
    ])
      expect(text).not.toContain(secret);
    const [first, second] = records();
    expect(first!.msg).toBe('login failed for [email]');
    expect(second!.note).toBe('ping [email]');
  });

  it('leaves ordinary fields, and errors, as they are', () => {
    const { logger, records } = capture();
    logger.error({ err: new Error('boom'), table: 'product_events', rows: 3 }, 'insert failed');
    const [record] = records();
    expect(record).toMatchObject({ table: 'product_events', rows: 3, msg: 'insert failed' });
    expect((record!.err as { message: string }).message).toBe('boom');
  });
});
