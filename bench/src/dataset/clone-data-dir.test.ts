import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cloneDataDir } from './clone-data-dir.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A data directory shaped like chDB's: relative table links, parts, a deduplication log. */
function engineDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'pulse-clone-'));
  dirs.push(root);
  const table = join(root, 'store/abc/abc-uuid');
  mkdirSync(join(table, '202611_1_4_1/p.proj'), { recursive: true });
  mkdirSync(join(table, 'deduplication_logs'), { recursive: true });
  writeFileSync(join(table, '202611_1_4_1/data.bin'), 'part');
  writeFileSync(join(table, '202611_1_4_1/p.proj/data.bin'), 'projection');
  writeFileSync(join(table, 'deduplication_logs/deduplication_log_1.txt'), 'token-1\n');
  writeFileSync(join(table, 'format_version.txt'), '1');
  mkdirSync(join(root, 'data/bench'), { recursive: true });
  symlinkSync('../../store/abc/abc-uuid', join(root, 'data/bench/events'));
  return root;
}

describe('cloneDataDir', () => {
  it('links part files, copies the rest, so appending to the copy leaves the original alone', () => {
    const from = engineDir();
    const to = join(from, '..', `${from.split('/').pop()}-copy`);
    dirs.push(to);
    const stats = cloneDataDir(from, to);
    expect(stats).toEqual({ linked: 2, copied: 2 });

    const part = 'store/abc/abc-uuid/202611_1_4_1/data.bin';
    expect(statSync(join(to, part)).ino).toBe(statSync(join(from, part)).ino);
    const projection = 'store/abc/abc-uuid/202611_1_4_1/p.proj/data.bin';
    expect(statSync(join(to, projection)).ino).toBe(statSync(join(from, projection)).ino);

    const log = 'store/abc/abc-uuid/deduplication_logs/deduplication_log_1.txt';
    expect(statSync(join(to, log)).ino).not.toBe(statSync(join(from, log)).ino);
    appendFileSync(join(to, log), 'token-2\n');
    expect(readFileSync(join(from, log), 'utf8')).toBe('token-1\n');

    expect(readlinkSync(join(to, 'data/bench/events'))).toBe('../../store/abc/abc-uuid');
    expect(readFileSync(join(to, 'data/bench/events/format_version.txt'), 'utf8')).toBe('1');
  });

  it('refuses an absolute link, which would send the copy’s writes into the original', () => {
    const from = engineDir();
    symlinkSync(join(from, 'store/abc/abc-uuid'), join(from, 'data/bench/absolute'));
    expect(() => cloneDataDir(from, `${from}-copy`)).toThrow(/absolute path/);
    dirs.push(`${from}-copy`);
  });
});
