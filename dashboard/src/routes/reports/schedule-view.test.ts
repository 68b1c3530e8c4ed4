import { describe, expect, it } from 'vitest';
import { cronInWords, cronPresets, describeRecipient, formatInZone, toRecipient } from './schedule-view.ts';

describe('cronInWords', () => {
  it('says the presets in plain words', () => {
    expect(cronPresets.map((p) => cronInWords(p.cron))).toEqual([
      'every Monday at 08:00',
      'every weekday at 08:00',
      'every day at 07:00',
      'on day 1 of every month at 08:00',
      'every hour',
    ]);
  });

  it('reads day lists, ranges and names, Monday first', () => {
    expect(cronInWords('30 9 * * 4,1')).toBe('every Monday and Thursday at 09:30');
    expect(cronInWords('0 18 * * MON-WED')).toBe('every Monday, Tuesday and Wednesday at 18:00');
    expect(cronInWords('0 10 * * 6,0')).toBe('every Saturday and Sunday at 10:00');
    expect(cronInWords('*/15 * * * *')).toBe('every 15 minutes');
  });

  it('gives back patterns it cannot say as cron', () => {
    expect(cronInWords('0 8 1 1 *')).toBe('cron 0 8 1 1 *');
    expect(cronInWords('0 8-17 * * *')).toBe('cron 0 8-17 * * *');
    expect(cronInWords('0 0 8 * * 1')).toBe('cron 0 0 8 * * 1');
  });
});

describe('recipients and times', () => {
  it('turns form rows into API recipients', () => {
    expect(toRecipient({ type: 'email', value: ' ana@example.com ', secret: '' })).toEqual({
      type: 'email',
      address: 'ana@example.com',
    });
    expect(toRecipient({ type: 'webhook', value: 'https://x.test/h', secret: 's'.repeat(16) })).toEqual({
      type: 'webhook',
      url: 'https://x.test/h',
      secret: 's'.repeat(16),
    });
    expect(toRecipient({ type: 'slack', value: 'https://hooks.slack.com/a', secret: '' })).toEqual({
      type: 'slack',
      webhookUrl: 'https://hooks.slack.com/a',
    });
    expect(describeRecipient({ type: 'teams', webhookUrl: 'https://x.test/…', key: 'teams:ab' })).toBe(
      'Teams https://x.test/…',
    );
  });

  it('shows the next run in the schedule’s own zone', () => {
    expect(formatInZone('2026-07-13T06:00:00.000Z', 'Europe/Berlin')).toBe('Mon 13 Jul, 08:00');
    expect(formatInZone(null, 'UTC')).toBe('—');
  });
});
