import { crc32 } from 'node:zlib';

/**
 * One record on disk:
 *
 *   length u32 | crc32 u32 | offset f64 | timestamp f64 | key len u16 | key | headers len u32 | headers JSON | value
 *
 * `length` counts everything after itself; the CRC covers everything after the CRC. A record whose
 * length runs past the end of the file or whose CRC does not match is a torn write: recovery
 * truncates the file there.
 */
const FIXED = 4 + 8 + 8 + 2 + 4;

export interface LogRecord {
  offset: number;
  timestamp: number;
  key: string;
  headers: Record<string, string>;
  value: Buffer;
  /** The producer's decoded value, kept in memory only (see BusMessage.payload). */
  payload?: unknown;
}

/**
 * Encodes the records of one write into one buffer, each record's end position in it in `ends`.
 * Records sharing one headers object (those of one produce call) encode it once.
 */
export function encodeRecords(records: readonly LogRecord[]): { data: Buffer; ends: number[] } {
  let lastHeaders: Record<string, string> | undefined;
  let lastHeadersBytes = Buffer.alloc(0);
  const headerBytes: Buffer[] = new Array(records.length);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.headers !== lastHeaders) {
      lastHeaders = r.headers;
      lastHeadersBytes = Buffer.from(JSON.stringify(r.headers), 'utf8');
    }
    headerBytes[i] = lastHeadersBytes;
    total += 4 + FIXED + Buffer.byteLength(r.key, 'utf8') + lastHeadersBytes.length + r.value.length;
  }
  const data = Buffer.allocUnsafe(total);
  const ends: number[] = new Array(records.length);
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const start = at;
    data.writeDoubleBE(r.offset, start + 8);
    data.writeDoubleBE(r.timestamp, start + 16);
    const keyLength = data.write(r.key, start + 26, 'utf8');
    data.writeUInt16BE(keyLength, start + 24);
    const headers = headerBytes[i]!;
    const headersAt = start + 26 + keyLength;
    data.writeUInt32BE(headers.length, headersAt);
    headers.copy(data, headersAt + 4);
    const valueAt = headersAt + 4 + headers.length;
    r.value.copy(data, valueAt);
    at = valueAt + r.value.length;
    data.writeUInt32BE(at - start - 4, start);
    data.writeUInt32BE(crc32(data.subarray(start + 8, at)), start + 4);
    ends[i] = at;
  }
  return { data, ends };
}

export type DecodeResult = { record: LogRecord; size: number } | { incomplete: true } | { corrupt: string };

/** Decodes the record at `at`; says whether the bytes there are incomplete or corrupt. */
export function decodeRecord(buf: Buffer, at: number): DecodeResult {
  if (buf.length - at < 8) return { incomplete: true };
  const length = buf.readUInt32BE(at);
  if (length < FIXED || length > 64 * 1024 * 1024) return { corrupt: `impossible record length ${length}` };
  if (buf.length - at - 4 < length) return { incomplete: true };
  const body = buf.subarray(at + 8, at + 4 + length);
  if (crc32(body) !== buf.readUInt32BE(at + 4)) return { corrupt: 'checksum mismatch' };
  // Positions within `body`, which starts at the offset field.
  const offset = body.readDoubleBE(0);
  const timestamp = body.readDoubleBE(8);
  const keyLength = body.readUInt16BE(16);
  const key = body.toString('utf8', 18, 18 + keyLength);
  const headersAt = 18 + keyLength;
  const headersLength = body.readUInt32BE(headersAt);
  const headers = JSON.parse(body.toString('utf8', headersAt + 4, headersAt + 4 + headersLength)) as Record<
    string,
    string
  >;
  const value = Buffer.from(body.subarray(headersAt + 4 + headersLength));
  return { record: { offset, timestamp, key, headers, value }, size: 4 + length };
}
