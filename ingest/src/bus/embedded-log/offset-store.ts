import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  openSync,
  fsyncSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import { syncDirectory } from './partition-log.ts';

type Offsets = Record<string, Record<string, number>>;
/** A batch handed to a handler but not yet committed: [first offset, last offset] per partition key. */
type Pending = Record<string, [number, number]>;
interface GroupState {
  offsets: Offsets;
  pending: Pending;
}

/**
 * Committed consumer-group offsets (the next offset to read), one JSON file per group, replaced
 * atomically: written to a temporary file, fsynced, renamed over the old one, directory fsynced.
 * A crash leaves either the old or the new file, never half of one.
 */
export class OffsetStore {
  private readonly dir: string;
  private readonly cache = new Map<string, GroupState>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  get(group: string, topic: string, partition: number): number {
    return this.load(group).offsets[topic]?.[String(partition)] ?? 0;
  }

  /**
   * The batch last handed out and not committed, if any. After a crash the consumer hands out
   * exactly this range again, so the handler's deduplication token (made from the range) repeats.
   */
  pending(group: string, topic: string, partition: number): [number, number] | undefined {
    return this.load(group).pending[`${topic}/${partition}`];
  }

  setPending(group: string, topic: string, partition: number, range: [number, number]): void {
    const state = this.load(group);
    const key = `${topic}/${partition}`;
    const current = state.pending[key];
    if (current && current[0] === range[0] && current[1] === range[1]) return;
    state.pending[key] = range;
    this.persist(group, state);
  }

  commit(group: string, topic: string, partition: number, nextOffset: number): void {
    const state = this.load(group);
    state.offsets[topic] = { ...state.offsets[topic], [String(partition)]: nextOffset };
    delete state.pending[`${topic}/${partition}`];
    this.persist(group, state);
  }

  private persist(group: string, state: GroupState): void {
    const path = this.path(group);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    syncDirectory(this.dir);
  }

  private load(group: string): GroupState {
    let state = this.cache.get(group);
    if (!state) {
      const path = this.path(group);
      state = existsSync(path)
        ? (JSON.parse(readFileSync(path, 'utf8')) as GroupState)
        : { offsets: {}, pending: {} };
      this.cache.set(group, state);
    }
    return state;
  }

  private path(group: string): string {
    return join(this.dir, `${encodeURIComponent(group)}.json`);
  }
}
