import type { PulseEvent } from '@pulse/core';

/** What every generator shares: the workspace, deterministic ids, and the demo label. */
export interface EventFactory {
  workspaceId: string;
  /** A stable, unique id: same seed and call order → same id. */
  id(prefix: string): string;
  /** Properties every demo event carries so it is never mistaken for real data. */
  demo: { demo: true };
}

export function createEventFactory(workspaceId: string, seed: number): EventFactory {
  let counter = 0;
  const seedPart = seed.toString(36);
  return {
    workspaceId,
    id: (prefix) => `${prefix}_${seedPart}_${(counter++).toString(36)}`,
    demo: { demo: true },
  };
}

/** Puts an event on the timeline at `atMs` (a later day of history). */
export type Schedule = (event: PulseEvent, atMs: number) => void;

export const iso = (ms: number): string => new Date(ms).toISOString();
