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

/** Pulse observing itself: how the ingest pipeline is doing right now. */
export interface PipelineHealth {
  /** Rows inserted per second since the previous reading. */
  ratePerSecond: number;
  /** Events on the bus not yet in the warehouse. */
  lag: number;
  /** p95 of collector receipt → queryable, seconds; null before the first event. */
  freshnessP95Seconds: number | null;
  deadLettered: number;
}

/** What the first page shows; wired to the warehouse queries and the ingester by start-pulse. */
export interface OverviewSource {
  countsByFamily(since: Date): Promise<FamilyCount[]>;
  latestEvents(limit: number): Promise<LatestEvent[]>;
  pipeline?(): Promise<PipelineHealth>;
}

export interface Overview {
  asOf: string;
  isDemo: boolean;
  counts: FamilyCount[];
  latest: LatestEvent[];
  pipeline: PipelineHealth | null;
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
