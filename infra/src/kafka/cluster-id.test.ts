import { describe, expect, it } from 'vitest';
import { clusterId } from './start-kafka.ts';

describe('KRaft cluster id', () => {
  it('is 16 random bytes in base64url that never start with "-" (the storage tool would read an option)', () => {
    const ids = Array.from({ length: 5000 }, () => clusterId());
    // One in 64 plain random ids starts with '-': 5,000 draws would all but surely show one.
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    for (const id of ids.slice(0, 50)) expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
