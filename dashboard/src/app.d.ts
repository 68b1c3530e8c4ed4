import type { Principal } from '../server/auth/principal.ts';
import type { OverviewFeed } from '../server/overview-feed.ts';
import type { PulseServices } from '../server/services.ts';

declare global {
  namespace App {
    interface Locals {
      services: PulseServices & { overviewFeed: OverviewFeed; principal: Principal };
    }
    interface Error {
      message: string;
      hint?: string;
    }
  }
}
