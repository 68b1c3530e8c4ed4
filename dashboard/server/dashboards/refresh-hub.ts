import { type Logger, PulseError } from '@pulse/core';

export type SnapshotListener<T> = (snapshot: T) => void;
export type ErrorListener = (err: unknown) => void;

interface Entry<T> {
  listeners: Map<SnapshotListener<T>, ErrorListener | undefined>;
  latest?: { snapshot: T; at: number };
  inFlight?: Promise<T>;
  timer?: NodeJS.Timeout;
  /** Started at (ms), for the minimum gap between nudged refreshes. */
  startedAt?: number;
  /** New data arrived while a refresh was in flight: run again right after it. */
  again?: boolean;
  refresh: () => Promise<T>;
}

/**
 * One refresh per dashboard view, shared by everyone watching it. Viewers of the same dashboard
 * with the same controls (same key) subscribe to one entry; while anyone listens, the entry
 * refreshes every `intervalMs` and pushes the snapshot to all of them, so 200 viewers cost the
 * warehouse what one does. A one-off read (the JSON endpoint, a page load) reuses a snapshot
 * younger than the interval or joins the refresh in flight.
 *
 * `nudge` (called when the ingester inserted rows of a workspace) refreshes that workspace's live
 * views at once instead of at the next tick, at most once per `minGapMs`: a live update reaches
 * the screen in about the time of one insert and one query, not up to a whole interval later.
 */
export function createRefreshHub<T>(options: {
  intervalMs: number;
  logger: Logger;
  minGapMs?: number;
  /** A refresh still running after this long fails its readers and frees the view (default 60 s). */
  timeoutMs?: number;
}) {
  const minGapMs = options.minGapMs ?? Math.min(750, options.intervalMs);
  const timeoutMs = options.timeoutMs ?? 60_000;
  /**
   * A refresh that never settled would hold its view forever: every reader would wait on it and
   * live viewers would get nothing more. Past `timeoutMs` its readers get an error with a hint and
   * the next tick starts a new refresh; the late one's result, if it ever comes, is dropped.
   */
  const withTimeout = (refresh: () => Promise<T>, key: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new PulseError(
              'DASHBOARD_REFRESH_TIMEOUT',
              `the dashboard refresh took longer than ${timeoutMs / 1000} s`,
              {
                hint: 'the warehouse may be busy or a tile too heavy; the view refreshes again on its next tick',
                retriable: true,
                context: { key },
              },
            ),
          ),
        timeoutMs,
      );
    });
    return Promise.race([refresh(), timeout]).finally(() => clearTimeout(timer));
  };
  const entries = new Map<string, Entry<T>>();

  function entryFor(key: string, refresh: () => Promise<T>): Entry<T> {
    let entry = entries.get(key);
    if (!entry) {
      entry = { listeners: new Map(), refresh };
      entries.set(key, entry);
    }
    return entry;
  }

  function run(key: string, entry: Entry<T>): Promise<T> {
    if (!entry.inFlight) {
      entry.startedAt = Date.now();
      entry.again = false;
    }
    entry.inFlight ??= withTimeout(entry.refresh, key)
      .then((snapshot) => {
        entry.latest = { snapshot, at: Date.now() };
        for (const listener of entry.listeners.keys()) listener(snapshot);
        return snapshot;
      })
      .catch((err: unknown) => {
        options.logger.warn({ err, key }, 'dashboard refresh failed');
        for (const onError of entry.listeners.values()) onError?.(err);
        throw err;
      })
      .finally(() => {
        entry.inFlight = undefined;
        if (entry.listeners.size > 0 && entry.again) nudgeEntry(key, entry);
        else if (entry.listeners.size > 0) schedule(key, entry);
        else if (entries.get(key) === entry && !entry.timer) entries.delete(key);
      });
    return entry.inFlight;
  }

  function schedule(key: string, entry: Entry<T>, delayMs = options.intervalMs): void {
    if (entry.timer) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (entry.listeners.size > 0) run(key, entry).catch(() => undefined);
    }, delayMs);
  }

  function nudgeEntry(key: string, entry: Entry<T>): void {
    if (entry.listeners.size === 0) return;
    if (entry.inFlight) {
      // The running query may have been planned before the insert: run once more after it.
      entry.again = true;
      return;
    }
    const wait = Math.max(0, (entry.startedAt ?? 0) + minGapMs - Date.now());
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    schedule(key, entry, wait);
  }

  return {
    /** The newest snapshot for this view: a fresh-enough one, the one in flight, or a new one. */
    read(key: string, refresh: () => Promise<T>): Promise<T> {
      const entry = entryFor(key, refresh);
      if (entry.latest && Date.now() - entry.latest.at < options.intervalMs)
        return Promise.resolve(entry.latest.snapshot);
      return run(key, entry);
    },
    subscribe(
      key: string,
      refresh: () => Promise<T>,
      listener: SnapshotListener<T>,
      onError?: ErrorListener,
    ): () => void {
      const entry = entryFor(key, refresh);
      entry.listeners.set(listener, onError);
      if (entry.latest) listener(entry.latest.snapshot);
      if (entry.listeners.size === 1 && !entry.inFlight && !entry.timer)
        run(key, entry).catch(() => undefined);
      return () => {
        entry.listeners.delete(listener);
        if (entry.listeners.size === 0) {
          if (entry.timer) clearTimeout(entry.timer);
          entry.timer = undefined;
          if (!entry.inFlight) entries.delete(key);
        }
      };
    },
    /** New data for the views whose key starts with `prefix`: live ones refresh now (see above). */
    nudge(prefix: string): void {
      for (const [key, entry] of entries) if (key.startsWith(prefix)) nudgeEntry(key, entry);
    },
    /** Drops cached snapshots of a dashboard after an edit; live viewers get the change next tick. */
    invalidate(prefix: string): void {
      for (const [key, entry] of entries) if (key.startsWith(prefix)) entry.latest = undefined;
    },
    get views(): number {
      return entries.size;
    },
    viewers(key: string): number {
      return entries.get(key)?.listeners.size ?? 0;
    },
    close(): void {
      for (const entry of entries.values()) {
        if (entry.timer) clearTimeout(entry.timer);
        entry.listeners.clear();
      }
      entries.clear();
    },
  };
}

export type RefreshHub<T> = ReturnType<typeof createRefreshHub<T>>;
