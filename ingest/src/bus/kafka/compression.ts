import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import kafkajs from 'kafkajs';

export type KafkaCompression = 'gzip' | 'zstd' | 'none';

// kafkajs is CommonJS and builds these exports from member expressions, which Node's ESM loader
// cannot see as named exports: take them from the default export.
const { CompressionCodecs, CompressionTypes } = kafkajs;
type CompressionTypes = kafkajs.CompressionTypes;

/**
 * The kafkajs codec for a configured compression, registering ZSTD on first use. kafkajs ships only
 * GZIP; ZSTD comes from Node's own zlib (Node ≥ 22.15), so nothing native is downloaded. LZ4 and
 * Snappy are not offered: they would need third-party codec packages (kafkajs-lz4 builds a native
 * addon at install), and ZSTD compresses better than both at a similar speed.
 *
 * Registration is global to kafkajs, which is also what makes this process able to read ZSTD
 * batches written by other producers.
 */
export function kafkaCodec(compression: KafkaCompression): CompressionTypes {
  registerZstd();
  if (compression === 'zstd') return CompressionTypes.ZSTD;
  if (compression === 'gzip') return CompressionTypes.GZIP;
  return CompressionTypes.None;
}

/** The topic-level `compression.type`: the broker then stores what the producer sent as is. */
export function topicCompressionType(compression: KafkaCompression): string {
  return compression === 'none' ? 'uncompressed' : compression;
}

function registerZstd(): void {
  // Synchronous on purpose: a record batch is tens of kilobytes at most, and the thread-pool round
  // trip of the async API cost three times the CPU of the compression itself (bench/README.md).
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    // kafkajs hands an Encoder whose buffer holds the record batch's records.
    compress: async (encoder: { buffer: Buffer }) => zstdCompressSync(encoder.buffer),
    decompress: async (buffer: Buffer) => zstdDecompressSync(buffer),
  });
}
