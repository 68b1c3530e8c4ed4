import { createLogger } from '@pulse/core';
import { describe, expect, it } from 'vitest';
import { createRefreshHub } from './refresh-hub.ts';

const logger = createLogger({ level: 'silent', serviceName: 'test' });

describe('refresh hub', () => {
  it('runs one refresh for every viewer of the same view and pushes it to all of them', async () => {
    const hub = createRefreshHub<number>({ intervalMs: 60_000, logger });
    let refreshes = 0;
    const refresh = async () => ++refreshes;
    const seen: number[][] = [[], [], []];
    const unsubscribe = seen.map((list) => hub.subscribe('view', refresh, (n) => list.push(n)));
    await expect.poll(() => seen.every((list) => list.length === 1)).toBe(true);
    expect(refreshes).toBe(1);
    expect(seen).toEqual([[1], [1], [1]]);
    // A one-off read within the interval reuses the snapshot instead of querying again.
    expect(await hub.read('view', refresh)).toBe(1);
    expect(refreshes).toBe(1);
    for (const u of unsubscribe) u();
    expect(hub.views).toBe(0);
    hub.close();
  });

  it('keeps views with different keys apart and tells listeners when a refresh fails', async () => {
    const hub = createRefreshHub<string>({ intervalMs: 60_000, logger });
    const errors: unknown[] = [];
    const stop = hub.subscribe(
      'a',
      async () => {
        throw new Error('warehouse down');
      },
      () => undefined,
      (err) => errors.push(err),
    );
    expect(await hub.read('b', async () => 'b')).toBe('b');
    await expect.poll(() => errors.length).toBe(1);
    expect((errors[0] as Error).message).toBe('warehouse down');
    stop();
    hub.close();
  });
});
