// The export renderer process: takes one render job over IPC, the rows as JSONEachRow on stdin,
// writes the file, and reports progress and the outcome over IPC. It never loads the warehouse
// engine, so its memory is the renderer's alone, and the server's event loop stays free.
import { createWriteStream } from 'node:fs';
import { PulseError } from '@pulse/core/errors/pulse-error';
import { renderReport } from '../renderers/render-report.ts';
import type { ReportDocument } from '../renderers/report-document.ts';
import type { RendererMessage, RenderJob } from './render-in-child.ts';
import { parseJsonRows } from './parse-json-rows.ts';

const PROGRESS_EVERY_ROWS = 5000;

const send = (message: RendererMessage) =>
  new Promise<void>((resolve) => process.send!(message, () => resolve()));

process.once('message', (job: RenderJob) => {
  render(job).then(
    (done) => send(done).then(() => process.exit(0)),
    (err: unknown) =>
      send({
        type: 'failed',
        error:
          err instanceof PulseError
            ? { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) }
            : { code: 'EXPORT_RENDER_FAILED', message: (err as Error).message ?? String(err) },
      }).then(() => process.exit(1)),
  );
});

async function render(job: RenderJob): Promise<RendererMessage & { type: 'done' }> {
  const out = createWriteStream(job.path, { flags: 'wx' });
  let rows = 0;
  async function* counted() {
    for await (const row of parseJsonRows(process.stdin, job.tile.result.columns)) {
      if (++rows % PROGRESS_EVERY_ROWS === 0) await send({ type: 'progress', rows, bytes: out.bytesWritten });
      yield row;
    }
  }
  const document: ReportDocument = {
    ...job.document,
    generatedAt: new Date(job.document.generatedAt),
    dataAsOf: new Date(job.document.dataAsOf),
    tiles: [{ ...job.tile, rowsIterable: counted() }],
  };
  const rendered = await renderReport(document, job.format, out, { csvBom: job.csvBom });
  return {
    type: 'done',
    rows,
    bytes: rendered.bytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
