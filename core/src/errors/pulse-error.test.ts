import { describe, expect, it } from 'vitest';
import { PulseError, isPulseError, toPulseError } from './index.ts';

describe('PulseError', () => {
  it('carries code, retriable flag, cause, context and hint', () => {
    const cause = new Error('socket hang up');
    const err = new PulseError('WAREHOUSE_INSERT_FAILED', 'insert into events failed', {
      retriable: true,
      cause,
      context: { table: 'events', rows: 10 },
      hint: 'check that ClickHouse is reachable',
    });
    expect(err.code).toBe('WAREHOUSE_INSERT_FAILED');
    expect(err.retriable).toBe(true);
    expect(err.cause).toBe(cause);
    expect(err.toJSON()).toMatchObject({
      code: 'WAREHOUSE_INSERT_FAILED',
      context: { table: 'events', rows: 10 },
    });
  });

  it('is not retriable unless said so', () => {
    expect(new PulseError('X', 'x').retriable).toBe(false);
  });

  it('wraps foreign errors once and keeps Pulse errors as they are', () => {
    const original = new PulseError('A', 'a');
    expect(toPulseError(original, 'B', 'b')).toBe(original);
    const wrapped = toPulseError(new TypeError('boom'), 'B', 'b', { retriable: true });
    expect(isPulseError(wrapped, 'B')).toBe(true);
    expect(wrapped.retriable).toBe(true);
    expect(isPulseError(wrapped, 'A')).toBe(false);
  });
});
