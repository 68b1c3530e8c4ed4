import { describe, expect, it } from 'vitest';
import { deliveryRetryHint, runRetryHint } from './run-view.ts';

const when = (iso: string) => `<${iso}>`;

describe('runRetryHint', () => {
  it('says when a retrying run goes again and that reached recipients are skipped', () => {
    expect(runRetryHint({ status: 'retrying', nextAttemptAt: '2026-03-01T08:05:00Z' }, when)).toBe(
      'Pulse retries it at <2026-03-01T08:05:00Z>; recipients it already reached are skipped.',
    );
  });

  it('tells a person what to do once no retries are left', () => {
    expect(runRetryHint({ status: 'failed', nextAttemptAt: null }, when)).toMatch(
      /No retries are left.*Send now/,
    );
  });

  it('says nothing about runs that went through or still run', () => {
    for (const status of ['succeeded', 'running', 'pending'] as const)
      expect(runRetryHint({ status, nextAttemptAt: null }, when)).toBeNull();
  });
});

describe('deliveryRetryHint', () => {
  it('names what to check per channel, only for failed deliveries', () => {
    expect(deliveryRetryHint({ channel: 'webhook', status: 'failed' })).toMatch(/webhook URL answers 2xx/);
    expect(deliveryRetryHint({ channel: 'email', status: 'failed' })).toMatch(/^Check the address/);
    expect(deliveryRetryHint({ channel: 'email', status: 'sent' })).toBeNull();
  });
});
