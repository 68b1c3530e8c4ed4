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
}

export function encodeRecord(record: LogRecord): Buffer {
  const key = Buffer.from(record.key, 'utf8');
  const headers = Buffer.from(JSON.stringify(record.headers), 'utf8');
  const length = FIXED + key.length + headers.length + record.value.length;
  const buf = Buffer.allocUnsafe(4 + length);
  buf.writeUInt32BE(length, 0);
  buf.writeDoubleBE(record.offset, 8);
  buf.writeDoubleBE(record.timestamp, 16);
  buf.writeUInt16BE(key.length, 24);
  key.copy(buf, 26);
  const headersAt = 26 + key.length;
  buf.writeUInt32BE(headers.length, headersAt);
  headers.copy(buf, headersAt + 4);
  record.value.copy(buf, headersAt + 4 + headers.length);
  buf.writeUInt32BE(crc32(buf.subarray(8)), 4);
  return buf;
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
