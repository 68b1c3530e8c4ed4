import type { Logger, PulseConfig, Registry } from '@pulse/core';

/** A part the server needs to serve traffic; `check` throws when it is not ready. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface FamilyCount {
  family: 'product' | 'social' | 'crm';
  events: number;
  lastEventAt: string | null;
}
export interface LatestEvent {
  family: string;
  type: string;
  eventId: string;
  workspaceId: string;
  timestamp: string;
  summary: string;
}

/** What the first page shows; wired to the warehouse queries by start-pulse. */
export interface OverviewSource {
  countsByFamily(since: Date): Promise<FamilyCount[]>;
  latestEvents(limit: number): Promise<LatestEvent[]>;
}

export interface Overview {
  asOf: string;
  isDemo: boolean;
  counts: FamilyCount[];
  latest: LatestEvent[];
}

/**
 * What the server process owns and hands to the HTTP routes and to SvelteKit (through
 * `event.locals`): the engines stay in the server process, never opened by a route module.
 */
export interface PulseServices {
  config: PulseConfig;
  logger: Logger;
  metrics: Registry;
  version: string;
  readiness: ReadinessCheck[];
  overview: OverviewSource;
  /** Whether the data shown is the simulated demo workspace. */
  isDemo: boolean;
}

/** Where the Fastify bridge leaves the services on the Node request for SvelteKit's hooks. */
export const servicesKey = Symbol.for('pulse.services');
