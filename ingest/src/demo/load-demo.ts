import type { DemoConfig, Logger, PulseEvent } from '@pulse/core';
import { insertEvents, type Warehouse } from '@pulse/warehouse';
import { createSimulator } from '../simulator/index.ts';

export interface DemoProgress {
  events: number;
  percent: number | undefined;
}
export interface LoadDemoOptions {
  warehouse: Warehouse;
  workspaceId: string;
  config: DemoConfig;
  /** Approximate size of the history; by default PULSE_DEMO_DAYS at the simulator's natural scale. */
  targetEvents?: number | undefined;
  end?: Date;
  onProgress?: (progress: DemoProgress) => void;
  /** Stops loading between batches (shutdown during the first start). */
  signal?: AbortSignal;
}

/** Big batches: each insert makes one part per table, and chDB takes 50k rows as fast as 5k. */
const BATCH = 50_000;

/**
 * Loads the simulator's history straight into the warehouse. Each batch carries a deduplication
 * token from the seed and its position, so a retried batch adds nothing.
 */
export async function loadDemoHistory(options: LoadDemoOptions): Promise<{ events: number }> {
  const { config } = options;
  const simulator = createSimulator({
    seed: config.seed,
    workspaceId: options.workspaceId,
    days: config.days,
    targetEvents: options.targetEvents,
    end: options.end,
  });
  let events = 0;
  let index = 0;
  for (const batch of simulator.historyBatches(BATCH)) {
    if (options.signal?.aborted) break;
    events += await insertEvents(options.warehouse, batch, {
      dedupToken: `demo:${options.workspaceId}:${config.seed}:${index++}`,
    });
    options.onProgress?.({
      events,
      percent: Math.min(99, Math.round((events / simulator.expectedEvents) * 100)),
    });
    // Let the server answer requests between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
  options.onProgress?.({ events, percent: 100 });
  return { events };
}

export interface RunningDemo {
  historyLoaded: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The demo workspace: loads the history, then streams live events at `config.liveRatePerSecond`
 * until stopped — through `publishLive` (the bus, like any source) when given. Failures are logged, never thrown into the server.
 */
export function startDemo(
  options: LoadDemoOptions & { logger: Logger; publishLive?: (events: PulseEvent[]) => Promise<void> },
): RunningDemo {
  const { logger, config } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();
  const end = options.end ?? new Date();
  const abort = new AbortController();
  // Another seed for the live stream: its event ids must never collide with the history's.
  const live = createSimulator({
    seed: config.seed ^ 0x5eed,
    workspaceId: options.workspaceId,
    days: 1,
    end,
  });
  live.historyBatches(Number.MAX_SAFE_INTEGER).next(); // warm the live state: users, posts and leads to continue

  const started = Date.now();
  let lastLogged = 0;
  const historyLoaded = loadDemoHistory({
    ...options,
    end,
    signal: abort.signal,
    onProgress: (p) => {
      if (p.percent === 100 || Date.now() - lastLogged > 2000) {
        lastLogged = Date.now();
        logger.info({ events: p.events, percent: p.percent }, 'loading demo history');
      }
    },
  }).then(
    ({ events }) => {
      logger.info({ events, seconds: (Date.now() - started) / 1000 }, 'demo history loaded');
      scheduleLive();
    },
    (err: unknown) => logger.error({ err }, 'demo history failed to load; run `pulse seed` to retry'),
  );

  let owed = 0;
  function scheduleLive(): void {
    if (stopped || config.liveRatePerSecond <= 0) return;
    timer = setTimeout(() => {
      owed += config.liveRatePerSecond;
      const count = Math.floor(owed);
      owed -= count;
      if (count === 0) inFlight = Promise.resolve();
      else {
        const events = live.liveEvents(new Date(), count);
        inFlight = (
          options.publishLive
            ? options.publishLive(events)
            : insertEvents(options.warehouse, events).then(() => {})
        ).catch((err: unknown) => logger.warn({ err }, 'live demo events were not stored'));
      }
      inFlight.finally(scheduleLive);
    }, 1000);
  }

  return {
    historyLoaded,
    async stop() {
      stopped = true;
      abort.abort();
      if (timer) clearTimeout(timer);
      await Promise.all([inFlight, historyLoaded]);
    },
  };
}
