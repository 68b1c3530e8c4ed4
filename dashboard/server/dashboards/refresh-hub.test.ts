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

  it('refreshes the live views a nudge names at once, at most once per gap, and no others', async () => {
    const hub = createRefreshHub<number>({ intervalMs: 60_000, logger, minGapMs: 200 });
    const runs = { a: 0, b: 0 };
    const seen: number[] = [];
    const stopA = hub.subscribe(
      '["ws-a","overview"',
      async () => ++runs.a,
      (n) => seen.push(n),
    );
    const stopB = hub.subscribe(
      '["ws-b","overview"',
      async () => ++runs.b,
      () => undefined,
    );
    await expect.poll(() => runs.a === 1 && runs.b === 1).toBe(true);
    // Without a nudge nothing happens before the 60 s interval.
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toEqual({ a: 1, b: 1 });
    const nudgedAt = Date.now();
    hub.nudge('["ws-a"');
    hub.nudge('["ws-a"');
    await expect.poll(() => seen).toEqual([1, 2]);
    expect(Date.now() - nudgedAt).toBeLessThan(1000);
    expect(runs.b).toBe(1);
    // Nudges closer together than the gap collapse into one refresh after it.
    hub.nudge('["ws-a"');
    hub.nudge('["ws-a"');
    await expect.poll(() => seen).toEqual([1, 2, 3]);
    await new Promise((r) => setTimeout(r, 300));
    expect(runs.a).toBe(3);
    stopA();
    stopB();
    hub.close();
  });

  it('runs once more after a refresh that was in flight when the nudge came', async () => {
    const hub = createRefreshHub<number>({ intervalMs: 60_000, logger, minGapMs: 0 });
    let runs = 0;
    let release: () => void = () => undefined;
    const refresh = () =>
      new Promise<number>((resolve) => {
        runs++;
        release = () => resolve(runs);
      });
    const seen: number[] = [];
    const stop = hub.subscribe('["ws"', refresh, (n) => seen.push(n));
    await expect.poll(() => runs).toBe(1);
    hub.nudge('["ws"'); // data arrived while the first query ran
    release();
    await expect.poll(() => runs).toBe(2);
    release();
    await expect.poll(() => seen).toEqual([1, 2]);
    stop();
    hub.close();
  });

  it('fails the readers of a refresh that never settles, and refreshes anew on the next tick', async () => {
    const hub = createRefreshHub<number>({ intervalMs: 100, logger, timeoutMs: 150 });
    let calls = 0;
    // The first refresh hangs forever (a query that never answers); the next ones work.
    const refresh = () => (++calls === 1 ? new Promise<number>(() => undefined) : Promise.resolve(calls));
    const errors: unknown[] = [];
    const seen: number[] = [];
    const stop = hub.subscribe(
      'view',
      refresh,
      (n) => seen.push(n),
      (err) => errors.push(err),
    );
    await expect(hub.read('view', refresh)).rejects.toMatchObject({
      code: 'DASHBOARD_REFRESH_TIMEOUT',
      retriable: true,
    });
    expect(errors).toHaveLength(1);
    // The view is free again: the next tick refreshes and its viewer gets the snapshot.
    await expect.poll(() => seen.length, { timeout: 2000 }).toBeGreaterThan(0);
    expect(seen[0]).toBe(2);
    stop();
    hub.close();
  });
});
