import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';

// The file system may write fewer bytes than asked (a disk filling up): here every write stops after
// 100 bytes, so a group commit takes several calls to get its records into the file.
const calls = vi.hoisted(() => ({ writes: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const write = ((
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    cb: never,
  ) => {
    calls.writes++;
    return fs.write(fd, buffer, offset, Math.min(length, 100), position, cb);
  }) as typeof fs.write;
  return { ...fs, write, default: { ...fs, write } };
});

const { PartitionLog } = await import('./partition-log.ts');
const dir = mkdtempSync(join(tmpdir(), 'pulse-short-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('acknowledges a write only once all of it is in the file, however short each write call is', async () => {
  const log = await PartitionLog.open(dir, { segmentBytes: 1 << 20, fsync: 'always', tailBytes: 0 });
  const records = Array.from({ length: 20 }, (_, n) => ({
    key: `k${n}`,
    headers: { n: String(n) },
    value: Buffer.from(JSON.stringify({ n, text: 'x'.repeat(40) })),
    timestamp: n,
  }));
  await log.append(records);
  expect(calls.writes).toBeGreaterThan(10);
  await log.close();
  // Read back after a reopen (recovery would cut a record whose tail never reached the file).
  const reopened = await PartitionLog.open(dir, { segmentBytes: 1 << 20, fsync: 'always', tailBytes: 0 });
  expect(reopened.recoveredBytes).toBe(0);
  const back = await reopened.read(0, 1 << 20);
  expect(back.map((r) => [r.offset, r.key, r.value.toString()])).toEqual(
    records.map((r, i) => [i, r.key, r.value.toString()]),
  );
  await reopened.close();
});
