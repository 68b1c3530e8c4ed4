import type { Logger } from '@pulse/core';
import type { Overview, OverviewSource } from './services.ts';

export type OverviewListener = (overview: Overview) => void;

/**
 * One warehouse poll shared by every live viewer: while anyone listens, the overview is read once
 * per tick and pushed to all of them, so 200 viewers cost what one does.
 */
export function createOverviewFeed(
  source: OverviewSource,
  options: { intervalMs: number; isDemo: boolean; logger: Logger },
) {
  const listeners = new Set<OverviewListener>();
  let timer: NodeJS.Timeout | undefined;
  let latest: Overview | undefined;
  let polling: Promise<void> | undefined;

  async function read(): Promise<Overview> {
    const [counts, events, pipeline] = await Promise.all([
      source.countsByFamily(new Date(0)),
      source.latestEvents(15),
      source.pipeline ? source.pipeline() : Promise.resolve(null),
    ]);
    return { asOf: new Date().toISOString(), isDemo: options.isDemo, counts, latest: events, pipeline };
  }

  async function poll(): Promise<void> {
    try {
      const overview = await read();
      latest = overview;
      for (const listener of listeners) listener(overview);
    } catch (err) {
      options.logger.warn({ err }, 'live overview poll failed');
    }
  }

  function tick(): void {
    polling = poll().finally(() => {
      polling = undefined;
      if (listeners.size > 0) timer = setTimeout(tick, options.intervalMs);
    });
  }

  return {
    /** Read the overview once (page loads and the JSON API). */
    read,
    subscribe(listener: OverviewListener): () => void {
      listeners.add(listener);
      if (latest) listener(latest);
      if (listeners.size === 1 && !timer && !polling) tick();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearTimeout(timer);
          timer = undefined;
        }
      };
    },
    get subscribers() {
      return listeners.size;
    },
    async close(): Promise<void> {
      listeners.clear();
      if (timer) clearTimeout(timer);
      timer = undefined;
      await polling;
    },
  };
}

export type OverviewFeed = ReturnType<typeof createOverviewFeed>;
