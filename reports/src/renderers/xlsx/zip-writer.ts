import { once } from 'node:events';
import { constants, crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import type { ByteSink } from '../byte-sink.ts';

/** One entry being written: text goes in, deflated bytes go out with the sink's backpressure. */
export interface ZipEntryWriter {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

export interface ZipWriter {
  /** A small entry, deflated at once. */
  add(name: string, text: string): Promise<void>;
  /** A large entry, deflated as it is written; entries are written one after the other. */
  open(name: string): ZipEntryWriter;
  /** Writes the central directory; the sink is left open. */
  finish(): Promise<void>;
}

interface Written {
  name: Buffer;
  flags: number;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const UTF8_NAMES = 0x0800;
const SIZES_AFTER_DATA = 0x0008;
const DEFLATE = 8;
const VERSION = 20;
/** 1980-01-01 00:00, the DOS epoch: entry times carry nothing a reader needs. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const ZIP32_LIMIT = 0xffff_ffff;

/**
 * A ZIP archive written front to back into a sink (no seeking, no ZIP64): each entry's header,
 * then its deflated bytes, then, for streamed entries, a data descriptor with the CRC and sizes.
 * Memory holds one deflate window and the sink's buffer, whatever the entry's size.
 */
export function createZipWriter(sink: ByteSink, level = constants.Z_DEFAULT_COMPRESSION): ZipWriter {
  const entries: Written[] = [];
  let offset = 0;
  let busy = false;
  const put = async (chunk: Buffer) => {
    offset += chunk.length;
    await sink.write(chunk);
  };

  return {
    async add(name, text) {
      const data = Buffer.from(text, 'utf8');
      const deflated = deflateRawSync(data, { level });
      const entry: Written = {
        name: Buffer.from(name, 'utf8'),
        flags: UTF8_NAMES,
        crc: crc32(data),
        compressed: deflated.length,
        size: data.length,
        offset,
      };
      entries.push(entry);
      await put(localHeader(entry));
      await put(deflated);
    },
    open(name) {
      if (busy) throw new Error('a ZIP entry is still open; close it before opening another');
      busy = true;
      const entry: Written = {
        name: Buffer.from(name, 'utf8'),
        flags: UTF8_NAMES | SIZES_AFTER_DATA,
        crc: 0,
        compressed: 0,
        size: 0,
        offset,
      };
      entries.push(entry);
      const deflate = createDeflateRaw({ level });
      // Deflated bytes go to the sink as they come; a slow sink pauses the deflater, whose full
      // buffer then makes `write` below wait.
      const forwarded = (async () => {
        await put(localHeader(entry));
        for await (const chunk of deflate as AsyncIterable<Buffer>) {
          entry.compressed += chunk.length;
          await put(chunk);
        }
      })();
      forwarded.catch(() => {});
      return {
        async write(text) {
          const data = Buffer.from(text, 'utf8');
          entry.crc = crc32(data, entry.crc);
          entry.size += data.length;
          if (entry.size > ZIP32_LIMIT)
            throw new Error('a ZIP entry of more than 4 GB needs ZIP64, which this writer does not write');
          if (!deflate.write(data)) await Promise.race([once(deflate, 'drain'), forwarded]);
        },
        async close() {
          deflate.end();
          await forwarded;
          busy = false;
          await put(dataDescriptor(entry));
        },
      };
    },
    async finish() {
      const start = offset;
      for (const entry of entries) await put(centralHeader(entry));
      const size = offset - start;
      const end = Buffer.alloc(22);
      end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
      end.writeUInt16LE(entries.length, 8);
      end.writeUInt16LE(entries.length, 10);
      end.writeUInt32LE(size, 12);
      end.writeUInt32LE(start, 16);
      await put(end);
      if (offset > ZIP32_LIMIT) throw new Error('the archive passed 4 GB, which needs ZIP64');
    },
  };
}

function localHeader(e: Written): Buffer {
  const streamed = (e.flags & SIZES_AFTER_DATA) !== 0;
  const b = Buffer.alloc(30);
  b.writeUInt32LE(LOCAL_HEADER, 0);
  b.writeUInt16LE(VERSION, 4);
  b.writeUInt16LE(e.flags, 6);
  b.writeUInt16LE(DEFLATE, 8);
  b.writeUInt16LE(DOS_TIME, 10);
  b.writeUInt16LE(DOS_DATE, 12);
  b.writeUInt32LE(streamed ? 0 : e.crc, 14);
  b.writeUInt32LE(streamed ? 0 : e.compressed, 18);
  b.writeUInt32LE(streamed ? 0 : e.size, 22);
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(0, 28);
  return Buffer.concat([b, e.name]);
}

function dataDescriptor(e: Written): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(DATA_DESCRIPTOR, 0);
  b.writeUInt32LE(e.crc >>> 0, 4);
  b.writeUInt32LE(e.compressed, 8);
  b.writeUInt32LE(e.size, 12);
  return b;
}

function centralHeader(e: Written): Buffer {
  const b = Buffer.alloc(46);
  b.writeUInt32LE(CENTRAL_HEADER, 0);
  b.writeUInt16LE(VERSION, 4);
  b.writeUInt16LE(VERSION, 6);
  b.writeUInt16LE(e.flags, 8);
  b.writeUInt16LE(DEFLATE, 10);
  b.writeUInt16LE(DOS_TIME, 12);
  b.writeUInt16LE(DOS_DATE, 14);
  b.writeUInt32LE(e.crc >>> 0, 16);
  b.writeUInt32LE(e.compressed, 20);
  b.writeUInt32LE(e.size, 24);
  b.writeUInt16LE(e.name.length, 28);
  b.writeUInt32LE(e.offset, 42);
  return Buffer.concat([b, e.name]);
}
