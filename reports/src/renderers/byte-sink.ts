import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * The stream every renderer writes into: counts the bytes on their way to `out`, and makes
 * `write` wait for `drain` so a slow client slows the renderer instead of filling memory.
 */
export interface ByteSink {
  stream: Transform;
  write(chunk: string | Buffer): Promise<void>;
  /** Ends the sink (and `out`) and resolves once `out` has flushed everything. */
  finish(): Promise<number>;
  bytes(): number;
}

export function createByteSink(out: NodeJS.WritableStream): ByteSink {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const flushed = pipeline(stream, out);
  // A failure of `out` rejects `flushed`; keep it from going unhandled until `finish` awaits it.
  flushed.catch(() => {});
  return {
    stream,
    bytes: () => bytes,
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        if (stream.destroyed) return reject(new Error('the output stream was closed'));
        if (stream.write(chunk)) return resolve();
        const onDrain = () => {
          stream.off('close', onClose);
          resolve();
        };
        const onClose = () => {
          stream.off('drain', onDrain);
          reject(new Error('the output stream closed before the report was written'));
        };
        stream.once('drain', onDrain);
        stream.once('close', onClose);
      }),
    finish: async () => {
      if (!stream.writableEnded) stream.end();
      await flushed;
      return bytes;
    },
  };
}
