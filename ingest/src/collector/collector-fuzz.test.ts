import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createLogger, examples, loadConfig } from '@pulse/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createEmbeddedBus, topicFor } from '../bus/index.ts';
import { createRandom, type Random } from '../simulator/index.ts';
import { registerCollector } from './index.ts';

let root: string;
let bus: Bus;
let app: FastifyInstance;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pulse-fuzz-'));
  bus = await createEmbeddedBus({ dataPath: root, fsync: 'never' });
  await bus.ensureTopics(
    ['product', 'social', 'crm'].map((f) => ({ name: topicFor(f as 'product'), partitions: 1 })),
  );
  app = Fastify({ logger: false });
  registerCollector(app, {
    bus,
    config: { ...loadConfig({}).collector, rateLimitPerSecond: 1e9 },
    logger: createLogger({ level: 'silent', serviceName: 'fuzz' }),
    resolveWriteKey: async (key) =>
      key === 'pk_fuzz' ? { workspaceId: 'ws_fuzz', sourceId: 's' } : undefined,
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await bus.close();
  rmSync(root, { recursive: true, force: true });
});

const endpoints = [
  '/v1/batch',
  '/v1/track',
  '/v1/identify',
  '/v1/page',
  '/v1/screen',
  '/v1/group',
  '/v1/alias',
  '/v1/events',
];
const weird: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER,
  '',
  'x'.repeat(5000),
  [],
  {},
  [[[[]]]],
  { __proto__: { polluted: true } },
  '\u0000\uffff',
  '2026-13-45T99:99:99Z',
];

/** Mutates a valid event: drops, retypes or adds fields, nests it, or replaces it outright. */
function mutate(random: Random, value: unknown, depth = 0): unknown {
  if (depth > 3 || random.chance(0.1)) return random.pick(weird);
  if (Array.isArray(value)) return value.map((v) => mutate(random, v, depth + 1));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = random.next();
      if (r < 0.1) continue;
      out[k] = r < 0.3 ? mutate(random, v, depth + 1) : v;
    }
    if (random.chance(0.2)) out[`extra_${random.int(0, 99)}`] = random.pick(weird);
    return out;
  }
  return random.chance(0.5) ? random.pick(weird) : value;
}

function body(random: Random): { payload: Buffer | string; gzip: boolean } {
  const kind = random.next();
  let text: string;
  if (kind < 0.1)
    text = Buffer.from(Array.from({ length: random.int(0, 300) }, () => random.int(0, 255))).toString(
      'latin1',
    );
  else if (kind < 0.2)
    text = JSON.stringify(mutate(random, { batch: examples.slice(0, 6) })).slice(0, random.int(0, 400));
  else {
    const events = Array.from({ length: random.int(0, 8) }, () => mutate(random, random.pick(examples)));
    const shape = random.next();
    text = JSON.stringify(
      shape < 0.3 ? { batch: events } : shape < 0.6 ? { events } : shape < 0.8 ? (events[0] ?? {}) : events,
    );
  }
  const gzip = random.chance(0.15);
  return { payload: gzip ? (random.chance(0.8) ? gzipSync(text) : Buffer.from(text)) : text, gzip };
}

describe('collector fuzz', () => {
  it('answers 10,000 random and mutated bodies on every endpoint without a 5xx, and memory stays bounded', async () => {
    const random = createRandom(20261124);
    const statuses = new Map<number, number>();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i++) {
      const { payload, gzip } = body(random);
      const res = await app.inject({
        method: 'POST',
        url: random.pick(endpoints),
        headers: {
          'content-type': random.pick([
            'application/json',
            'application/json',
            'text/plain',
            'application/xml',
          ]),
          ...(random.chance(0.9)
            ? { authorization: `Basic ${Buffer.from('pk_fuzz:').toString('base64')}` }
            : {}),
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        },
        payload,
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 500) throw new Error(`${res.statusCode} for body #${i}: ${res.body}`);
    }
    global.gc?.();
    const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    expect(grownMb).toBeLessThan(200);
    // The fuzzer reached acceptance and each kind of refusal, not only one of them.
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([200, 400, 401, 415]));
  }, 120_000);
});
