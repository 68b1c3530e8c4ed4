import type { PulseEvent } from '@pulse/core';
import { createCrmSimulator } from './crm-simulator.ts';
import { DayQueue } from './day-queue.ts';
import { createEventFactory } from './event-factory.ts';
import { createRandom } from './prng.ts';
import { createProductSimulator } from './product-simulator.ts';
import { DAY } from './rhythms.ts';
import { createSocialSimulator } from './social-simulator.ts';

export interface SimulatorOptions {
  seed: number;
  workspaceId: string;
  /** History ends here (exclusive); defaults to the start of the current hour. */
  end?: Date;
  days: number;
  /** Multiplies every rate (posts, leads, users). Ignored when `targetEvents` is given. */
  scale?: number;
  /** Approximate number of history events wanted: sets the scale. */
  targetEvents?: number;
}

export interface Simulator {
  readonly scale: number;
  /** Rough number of history events at this scale, for progress reporting. */
  readonly expectedEvents: number;
  /** The history, oldest day first, in batches of about `batchSize` events. */
  historyBatches(batchSize: number): Generator<PulseEvent[]>;
  /** `count` live events stamped `now`, continuing the history's posts, users and leads. */
  liveEvents(now: Date, count: number): PulseEvent[];
}

/**
 * History events at scale 1 over `days`, fitted to runs of the default mix (for scaling and
 * progress). Volume per day grows with the window: the user base grows, and posts and deals
 * made early keep producing snapshots and stage changes later.
 */
const eventsAtScale1 = (days: number) => days * (970 + 14.75 * days);

/**
 * A deterministic simulator of a demo workspace's social, CRM and product streams: the same
 * options always produce the same events. Fast enough for benchmarks (no validation in the hot
 * path; events are built to the contract and checked by tests).
 */
export function createSimulator(options: SimulatorOptions): Simulator {
  const scale = options.targetEvents
    ? Math.max(0.05, options.targetEvents / eventsAtScale1(options.days))
    : (options.scale ?? 1);
  const endMs = (options.end ?? new Date()).getTime();
  const end = endMs - (endMs % 3_600_000);
  const start = end - options.days * DAY - ((end - options.days * DAY) % DAY);
  const random = createRandom(options.seed);
  const factory = createEventFactory(options.workspaceId, options.seed);
  const social = createSocialSimulator(random.fork(1), factory, scale);
  const crm = createCrmSimulator(random.fork(2), factory, scale);
  const product = createProductSimulator(random.fork(3), factory, scale);
  const liveRandom = random.fork(4);

  return {
    scale,
    expectedEvents: Math.round(eventsAtScale1(options.days) * scale),
    *historyBatches(batchSize) {
      const queue = new DayQueue(start);
      const schedule = (event: PulseEvent, at: number) => {
        if (at < end) queue.push(event, at);
      };
      let batch: PulseEvent[] = [];
      const days = Math.ceil((end - start) / DAY);
      for (let day = 0; day < days; day++) {
        const dayStart = start + day * DAY;
        const today = [
          ...social.day(schedule, dayStart, end),
          ...crm.day(schedule, dayStart),
          ...product.day(day, dayStart),
          ...queue.take(day),
        ];
        for (const event of today) {
          if (Date.parse(event.timestamp) >= end) continue;
          batch.push(event);
          if (batch.length >= batchSize) {
            yield batch;
            batch = [];
          }
        }
      }
      if (batch.length > 0) yield batch;
    },
    liveEvents(now, count) {
      const ms = now.getTime();
      const events: PulseEvent[] = [];
      while (events.length < count) {
        const r = liveRandom.next();
        if (r < 0.6) events.push(...product.live(ms));
        else if (r < 0.92) events.push(social.live(ms));
        else events.push(...crm.live(ms));
      }
      return events.slice(0, count);
    },
  };
}
