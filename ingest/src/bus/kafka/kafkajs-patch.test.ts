// kafkajs 2.2.4 is patched at install (`patches/kafkajs+2.2.4.patch`, applied by patch-package in
// the root postinstall): its encoder zero-filled a 512-byte buffer per record and per header and
// went through temporary arrays for every varint, and its decoder copied the header object once per
// header — about half of the collector's Kafka CPU (bench/README.md). These tests hold the patched
// code to the Kafka wire format, computed here independently, and to the decoded shape kafkajs gave.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
interface EncoderInstance {
  writeVarInt(v: number): EncoderInstance;
  writeVarLong(v: number | bigint | object): EncoderInstance;
  writeInt8(v: number): EncoderInstance;
  writeEncoder(e: EncoderInstance): EncoderInstance;
  buffer: Buffer;
}
const Encoder = require('kafkajs/src/protocol/encoder') as new (size?: number) => EncoderInstance;
const Decoder = require('kafkajs/src/protocol/decoder') as new (
  buffer: Buffer,
) => { readVarIntBytes(): Buffer };
const Long = require('kafkajs/src/utils/long') as { fromString(s: string): object };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer;
  value: Buffer;
  headers: Record<string, string | string[]>;
}) => EncoderInstance;
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  decoder: unknown,
  context: { firstOffset: string; firstTimestamp: string; magicByte: number },
) => { offset: string; timestamp: string; key: Buffer; value: Buffer; headers: Record<string, unknown> };

/** Unsigned LEB128 of the zigzag encoding, as the Kafka protocol defines varint and varlong. */
function referenceVarint(value: bigint, bits: 32n | 64n): Buffer {
  let n = value >= 0n ? value << 1n : (-value << 1n) - 1n;
  n &= (1n << bits) - 1n;
  const out: number[] = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return Buffer.from(out);
}

const edges = [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, 2 ** 29, 2 ** 30 - 1, 2 ** 30, -(2 ** 30)];
const more = [
  -(2 ** 30) - 1,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 40 + 3,
  -(2 ** 40),
  1_764_950_400_000,
  -1_764_950_400_000,
];

describe('kafkajs as patched at install', () => {
  it('is the patched copy (npm install ran patch-package)', () => {
    expect(Encoder.toString()).toContain('allocUnsafe');
    expect(decodeRecord.toString()).not.toContain('...obj');
  });

  it('writes varints and varlongs exactly as the Kafka protocol defines them', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const longs = [...edges, ...more];
    for (let i = 0; i < 2000; i++) longs.push(Math.trunc((random() - 0.5) * 2 ** (random() * 52)));
    for (const v of longs) {
      // Bytes before and after: a varint written in place must not disturb its neighbours.
      const written = new Encoder(1).writeInt8(7).writeVarLong(v).writeInt8(9).buffer;
      expect(written).toEqual(
        Buffer.concat([Buffer.from([7]), referenceVarint(BigInt(v), 64n), Buffer.from([9])]),
      );
      const asLong = new Encoder().writeVarLong(Long.fromString(String(v))).buffer;
      expect(asLong).toEqual(referenceVarint(BigInt(v), 64n));
      if (v >= -(2 ** 31) && v < 2 ** 31)
        expect(new Encoder().writeVarInt(v).buffer).toEqual(referenceVarint(BigInt(v), 32n));
    }
  });

  it('grows its buffer without losing or exposing bytes', () => {
    const encoder = new Encoder(1);
    const parts: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      encoder.writeVarInt(i * 37);
      parts.push(referenceVarint(BigInt(i * 37), 32n));
    }
    expect(encoder.buffer).toEqual(Buffer.concat(parts));
  });

  it('round-trips a record: key, value, offset, timestamp and every header, repeated ones as lists', () => {
    const headers: Record<string, string | string[]> = {
      'schema-version': '1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tag: ['a', 'b', 'c'],
      constructor: 'not the Object constructor',
    };
    Object.defineProperty(headers, '__proto__', { value: 'a header, not a prototype', enumerable: true });
    const record = encodeRecord({
      offsetDelta: 5,
      timestampDelta: 1234,
      key: Buffer.from('ws_1:user_9'),
      value: Buffer.from('{"eventId":"e1"}'),
      headers,
    });
    const bytes = new Encoder().writeEncoder(record).buffer;
    // A record is its length as a varint, then its body.
    const decoded = decodeRecord(new Decoder(new Decoder(bytes).readVarIntBytes()), {
      firstOffset: '100',
      firstTimestamp: '1764950400000',
      magicByte: 2,
    });
    expect(decoded.offset).toBe('105');
    expect(decoded.timestamp).toBe('1764950401234');
    expect(decoded.key.toString()).toBe('ws_1:user_9');
    expect(decoded.value.toString()).toBe('{"eventId":"e1"}');
    const asText = Object.fromEntries(
      Object.entries(decoded.headers).map(([k, v]) => [
        k,
        Array.isArray(v) ? v.map(String) : String(v as Buffer),
      ]),
    );
    expect(asText).toEqual({ ...Object.fromEntries(Object.entries(headers)) });
    expect(Object.getPrototypeOf(decoded.headers)).toBe(Object.prototype);
  });

  it('computes offsets and timestamps exactly, past 2^53 too', () => {
    const cases = [
      { first: '0', delta: 0 },
      { first: '100', delta: 5 },
      { first: '9007199254740990', delta: 1 }, // 2^53 - 2 + 1: still exact in a double
      { first: '9007199254740990', delta: 7 }, // past 2^53: the Long path
      { first: '9223372036854775000', delta: 800 }, // near 2^63
      { first: '1764950400000', delta: -1234 }, // a timestamp before the batch's first
    ];
    for (const { first, delta } of cases) {
      const record = encodeRecord({
        offsetDelta: Math.abs(delta),
        timestampDelta: delta,
        key: Buffer.from('k'),
        value: Buffer.from('v'),
        headers: {},
      });
      const bytes = new Encoder().writeEncoder(record).buffer;
      const decoded = decodeRecord(new Decoder(new Decoder(bytes).readVarIntBytes()), {
        firstOffset: first,
        firstTimestamp: first,
        magicByte: 2,
      });
      expect(decoded.offset).toBe((BigInt(first) + BigInt(Math.abs(delta))).toString());
      expect(decoded.timestamp).toBe((BigInt(first) + BigInt(delta)).toString());
    }
  });

  it('schedules its pending-request check without a negative delay when not throttled', async () => {
    // Unpatched, every answered request with nothing queued behind it asked for a timer of -1 minus
    // now, and Node printed a TimeoutNegativeWarning for it (in every Kafka run's log).
    const RequestQueue = require('kafkajs/src/network/requestQueue') as new (options: {
      maxInFlightRequests: number;
      requestTimeout: number;
      enforceRequestTimeout: boolean;
      clientId: string;
      broker: string;
      logger: unknown;
    }) => { scheduleCheckPendingRequests(): void; destroy(): void };
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const delays: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout;
    const queue = new RequestQueue({
      maxInFlightRequests: 1,
      requestTimeout: 1000,
      enforceRequestTimeout: false,
      clientId: 'test',
      broker: 'localhost:9092',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    try {
      queue.scheduleCheckPendingRequests();
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    await new Promise((r) => realSetTimeout(r, 20));
    queue.destroy();
    process.off('warning', onWarning);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(0);
    expect(warnings).not.toContain('TimeoutNegativeWarning');
  });
});
