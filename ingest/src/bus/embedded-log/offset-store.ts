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

/**
 * Committed consumer-group offsets (the next offset to read), one JSON file per group, replaced
 * atomically: written to a temporary file, fsynced, renamed over the old one, directory fsynced.
 * A crash leaves either the old or the new file, never half of one.
 */
export class OffsetStore {
  private readonly dir: string;
  private readonly cache = new Map<string, Offsets>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  get(group: string, topic: string, partition: number): number {
    return this.load(group)[topic]?.[String(partition)] ?? 0;
  }

  commit(group: string, topic: string, partition: number, nextOffset: number): void {
    const offsets = this.load(group);
    offsets[topic] = { ...offsets[topic], [String(partition)]: nextOffset };
    const path = this.path(group);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify(offsets));
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    syncDirectory(this.dir);
  }

  private load(group: string): Offsets {
    let offsets = this.cache.get(group);
    if (!offsets) {
      const path = this.path(group);
      offsets = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Offsets) : {};
      this.cache.set(group, offsets);
    }
    return offsets;
  }

  private path(group: string): string {
    return join(this.dir, `${encodeURIComponent(group)}.json`);
  }
}
