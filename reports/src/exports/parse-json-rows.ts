import type { ResultColumn, ResultRow } from '@pulse/warehouse';

/**
 * Rows of the engine's JSONEachRow output, from byte chunks that may cut a line anywhere (a
 * server's byte stream, or a pipe between processes). Numbers arrive as JSON numbers; one the
 * engine quoted (a 64-bit integer, a Decimal) is turned back into a number.
 */
export async function* parseJsonRows(
  chunks: AsyncIterable<Uint8Array>,
  columns: ResultColumn[],
): AsyncGenerator<ResultRow> {
  const numeric = columns.filter((c) => c.type === 'number').map((c) => c.name);
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      const line = pending + text.slice(start, end);
      pending = '';
      start = end + 1;
      if (line.length === 0) continue;
      const row = JSON.parse(line) as ResultRow;
      for (const name of numeric) {
        const value = row[name];
        if (typeof value === 'string') {
          const n = Number(value);
          row[name] = Number.isFinite(n) ? n : null;
        }
      }
      yield row;
    }
    pending += text.slice(start);
  }
  pending += decoder.decode();
  if (pending.trim().length > 0) throw new Error('the row stream ended in the middle of a row');
}
