import { spawn } from 'node:child_process';
import { PulseError } from '@pulse/core/errors/pulse-error';
import type { ReportDocument, ReportTile } from '../renderers/report-document.ts';

/** What the renderer process is asked to write (dates as ISO strings: it crosses a process boundary). */
export interface RenderJob {
  format: 'csv' | 'xlsx' | 'pdf' | 'arrow';
  path: string;
  csvBom: boolean;
  document: Omit<ReportDocument, 'tiles' | 'generatedAt' | 'dataAsOf'> & {
    generatedAt: string;
    dataAsOf: string;
  };
  tile: Omit<ReportTile, 'rowsIterable'>;
}

export type RendererMessage =
  | { type: 'progress'; rows: number; bytes: number }
  | { type: 'done'; rows: number; bytes: number; peakRssBytes: number }
  | { type: 'failed'; error: { code: string; message: string; hint?: string } };

export interface ChildRenderOptions {
  job: RenderJob;
  /** The tile's rows as the engine's JSONEachRow bytes; piped to the renderer with backpressure. */
  rows: AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
  onProgress?: (progress: { rows: number; bytes: number }) => void;
}

export interface ChildRendered {
  rows: number;
  bytes: number;
  /** The renderer process's peak resident memory: what this export cost, apart from the engine. */
  peakRssBytes: number;
}

const childPath = new URL('./render-export.child.ts', import.meta.url).pathname;
/**
 * A renderer makes garbage at the rate of its rows (parsed JSON, cell XML) and keeps little. A
 * small young generation collects it while it is small: a 1M-row XLSX peaked at 230 MB RSS with
 * V8's default, 130 MB with 4 MB semi-spaces, and ran faster. The old-space cap makes a runaway
 * renderer fail its export instead of pressing on the server it shares the machine with.
 */
const RENDERER_FLAGS = ['--max-semi-space-size=4', '--max-old-space-size=512'];

/**
 * Renders one export in a process of its own. The engine stays in this process and only moves
 * bytes: the rows are parsed, turned into cells, compressed and written by the child, so a 1M-row
 * XLSX neither blocks this event loop for its ~10 s nor adds its memory to the engine's. A slow
 * renderer slows the engine's stream (the pipe's backpressure), so neither side piles rows up.
 */
export async function renderInChild(options: ChildRenderOptions): Promise<ChildRendered> {
  const { signal } = options;
  signal?.throwIfAborted();
  const child = spawn(process.execPath, [...RENDERER_FLAGS, childPath], {
    stdio: ['pipe', 'ignore', 'inherit', 'ipc'],
    // The renderer needs no configuration and gets none of the server's secrets.
    env: Object.fromEntries(
      ['PATH', 'TZ', 'LANG', 'LC_ALL'].filter((k) => process.env[k]).map((k) => [k, process.env[k]]),
    ),
  });
  const kill = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', kill, { once: true });
  let outcome: RendererMessage | undefined;
  const finished = new Promise<ChildRendered>((resolve, reject) => {
    child.on('message', (message: RendererMessage) => {
      if (message.type === 'progress') options.onProgress?.(message);
      else outcome = message;
    });
    child.once('error', reject);
    child.once('exit', (code, exitSignal) => {
      if (signal?.aborted) return reject(signal.reason);
      if (outcome?.type === 'done') return resolve(outcome);
      if (outcome?.type === 'failed')
        return reject(
          new PulseError(outcome.error.code, outcome.error.message, {
            ...(outcome.error.hint ? { hint: outcome.error.hint } : {}),
            context: { format: options.job.format },
          }),
        );
      reject(
        new PulseError(
          'EXPORT_RENDER_FAILED',
          `the export renderer stopped (${exitSignal ?? `exit code ${code}`})`,
          {
            retriable: true,
            hint: 'Run the export again; if it stops again, the server log has the renderer’s error.',
            context: { format: options.job.format, code, signal: exitSignal },
          },
        ),
      );
    });
  });
  // The child may finish before reading every row (a PDF reads only what its table shows).
  let done = false;
  finished.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  // A renderer that stopped (done early, failed or killed) closes its stdin: the outcome then
  // comes from `finished`, not from the broken pipe.
  // stdio[0] is 'pipe', so stdin exists; the type cannot say so once 'ipc' is in the list.
  const stdin = child.stdin as NonNullable<typeof child.stdin>;
  stdin.on('error', () => {});
  const writable = () =>
    new Promise<void>((resolve) => {
      const go = () => {
        stdin.off('drain', go);
        stdin.off('close', go);
        resolve();
      };
      stdin.on('drain', go);
      stdin.on('close', go);
    });
  try {
    child.send(options.job);
    for await (const chunk of options.rows) {
      if (done || stdin.destroyed) break;
      if (!stdin.write(chunk)) await writable();
    }
    stdin.end();
    return await finished;
  } catch (err) {
    kill();
    await finished.catch(() => {});
    throw err;
  } finally {
    signal?.removeEventListener('abort', kill);
  }
}
