// A working copy of an engine's data directory in seconds, whatever its size: MergeTree data
// parts are immutable once written (merges and mutations write new parts; ClickHouse's own
// FREEZE relies on it), so their files are hard-linked; everything else — metadata, the
// deduplication logs, which the engine appends to in place — is copied. Writing to the copy
// therefore never changes the original.
import { copyFileSync, linkSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';

/** `202611_3_7_1`, `all_1_1_0`, `202611_3_7_1_12` (mutated): a MergeTree part directory. */
const partDirectory = /^[A-Za-z0-9-]+_\d+_\d+_\d+(_\d+)?$/;

export interface CloneStats {
  linked: number;
  copied: number;
}

export function cloneDataDir(from: string, to: string): CloneStats {
  const stats: CloneStats = { linked: 0, copied: 0 };
  cloneInto(from, to, false, stats);
  return stats;
}

function cloneInto(from: string, to: string, inPart: boolean, stats: CloneStats): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isSymbolicLink()) {
      // chDB's data/<db>/<table> links are relative (../../store/…), so they hold in the copy;
      // an absolute one would lead the copy's writes into the original.
      const link = readlinkSync(source);
      if (isAbsolute(link))
        throw new Error(`cannot clone ${from}: ${source} links to the absolute path ${link}`);
      symlinkSync(link, target);
    } else if (entry.isDirectory()) {
      cloneInto(source, target, inPart || partDirectory.test(basename(source)), stats);
    } else if (inPart) {
      linkSync(source, target);
      stats.linked++;
    } else {
      copyFileSync(source, target);
      stats.copied++;
    }
  }
}
