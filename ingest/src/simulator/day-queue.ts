import type { PulseEvent } from '@pulse/core';
import { DAY } from './rhythms.ts';

/**
 * Events scheduled for later days (metric snapshots hours after a post, a deal's next stage
 * weeks later), bucketed by day so history comes out day by day.
 */
export class DayQueue {
  private readonly buckets = new Map<number, PulseEvent[]>();
  private readonly start: number;

  constructor(startMs: number) {
    this.start = startMs;
  }

  push(event: PulseEvent, atMs: number): void {
    const day = Math.floor((atMs - this.start) / DAY);
    const bucket = this.buckets.get(day);
    if (bucket) bucket.push(event);
    else this.buckets.set(day, [event]);
  }

  take(day: number): PulseEvent[] {
    const events = this.buckets.get(day) ?? [];
    this.buckets.delete(day);
    // Not sorted within the day: ordering per day is enough for loading, and sorting 1M events a
    // day would dominate the 100M-event runs.
    return events;
  }
}
