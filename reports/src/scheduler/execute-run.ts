import { readFileSync } from 'node:fs';
import { isPulseError, type MetadataStore } from '@pulse/core';
import { recipientKey } from '../definitions/recipients.ts';
import { parseReportSource } from '../definitions/report-definition.ts';
import type { ScheduleFormat } from '../definitions/schedule-definition.ts';
import type { ScheduleStore, StoredSchedule } from '../definitions/schedule-store.ts';
import type { SendToRecipient } from '../delivery/deliver-to-recipient.ts';
import type { DeliveryMessage, MessageSummary } from '../delivery/delivery-message.ts';
import { summarizeDocument } from '../delivery/delivery-message.ts';
import type { DownloadArea } from '../delivery/download-area.ts';
import { renderReport } from '../renderers/index.ts';
import { buildReportDocument, type ReportDataSources } from './build-report-document.ts';
import type { ReportRun, RunFile, RunStore } from './run-store.ts';

export interface Clock {
  now(): Date;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Wait before the second attempt; doubles for each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RunContext {
  metadata: MetadataStore;
  schedules: ScheduleStore;
  runs: RunStore;
  data: ReportDataSources;
  downloads: DownloadArea;
  send: SendToRecipient;
  clock: Clock;
  /** How long the download links in a message work. */
  linkTtlMs: number;
  retry: RetryPolicy;
  onError?: ((err: unknown, context: Record<string, unknown>) => void) | undefined;
}

export interface RunOutcome {
  runId: string;
  status: 'succeeded' | 'retrying' | 'failed';
  /** Recipient keys sent to by this attempt, and those a previous attempt had sent to already. */
  sent: string[];
  skipped: string[];
  failed: { recipient: string; error: string; retriable: boolean }[];
  error?: string;
}

const SUMMARY_FILE = 'summary.json';
/** File extensions as the renderers name them (Arrow IPC streams are `.arrows`). */
const extensions: Record<ScheduleFormat, string> = { pdf: 'pdf', xlsx: 'xlsx', csv: 'csv', arrow: 'arrows' };

/**
 * One attempt at a claimed run: render its files once (a retry sends the very same files), then
 * deliver to every recipient not yet marked sent. Ends the run as succeeded, retrying (with
 * backoff, when every failure was transient) or failed, with what went wrong.
 */
export async function executeRun(ctx: RunContext, run: ReportRun): Promise<RunOutcome> {
  const started = performance.now();
  const outcome: RunOutcome = { runId: run.id, status: 'succeeded', sent: [], skipped: [], failed: [] };
  try {
    const schedule = await ctx.schedules.get(run.workspaceId, run.scheduleId ?? '');
    const { files, summary } = await renderedFiles(ctx, run, schedule);
    const message = composeMessage(ctx, run, files, summary);
    for (const recipient of schedule.recipients) {
      const key = recipientKey(recipient);
      if (!(await ctx.runs.beginDelivery(run.id, key, recipient.type))) {
        outcome.skipped.push(key);
        continue;
      }
      try {
        await ctx.send(recipient, message);
        await ctx.runs.endDelivery(run.id, key, { sent: true, at: ctx.clock.now() });
        outcome.sent.push(key);
      } catch (err) {
        const error = (err as Error).message;
        await ctx.runs.endDelivery(run.id, key, { sent: false, error });
        outcome.failed.push({ recipient: key, error, retriable: isRetriable(err) });
        ctx.onError?.(err, { runId: run.id, recipient: key });
      }
    }
  } catch (err) {
    outcome.error = (err as Error).message;
    outcome.failed.push({ recipient: '*', error: outcome.error, retriable: isRetriable(err) });
    ctx.onError?.(err, { runId: run.id });
  }
  await finish(ctx, run, outcome, performance.now() - started);
  return outcome;
}

async function finish(ctx: RunContext, run: ReportRun, outcome: RunOutcome, durationMs: number) {
  const at = ctx.clock.now();
  if (outcome.failed.length === 0) return ctx.runs.finish(run.id, { status: 'succeeded', at, durationMs });
  const error = outcome.failed
    .map((f) => (f.recipient === '*' ? f.error : `${f.recipient}: ${f.error}`))
    .join('; ');
  const retry = outcome.failed.every((f) => f.retriable) && run.attempts < ctx.retry.maxAttempts;
  if (!retry) {
    outcome.status = 'failed';
    return ctx.runs.finish(run.id, { status: 'failed', at, durationMs, error });
  }
  outcome.status = 'retrying';
  const delay = Math.min(ctx.retry.maxDelayMs, ctx.retry.baseDelayMs * 2 ** (run.attempts - 1));
  return ctx.runs.finish(run.id, {
    status: 'retrying',
    at,
    durationMs,
    error,
    nextAttemptAt: new Date(at.getTime() + delay),
  });
}

/** Unknown errors (a bug, a crash of the renderer) are not retried: they would fail again. */
const isRetriable = (err: unknown) => isPulseError(err) && err.retriable;

/** The run's files: the ones an earlier attempt rendered when all are still there, else new. */
async function renderedFiles(
  ctx: RunContext,
  run: ReportRun,
  schedule: StoredSchedule,
): Promise<{ files: RunFile[]; summary: MessageSummary }> {
  const folder = ctx.downloads.folderOf(run.id);
  const summaryPath = `${folder}/${SUMMARY_FILE}`;
  if (
    run.files.length > 0 &&
    ctx.downloads.exists(summaryPath) &&
    run.files.every((f) => ctx.downloads.exists(f.path))
  )
    return {
      files: run.files,
      summary: JSON.parse(readFileSync(ctx.downloads.absolute(summaryPath), 'utf8')) as MessageSummary,
    };
  const report = await ctx.metadata.reports.get(schedule.reportId);
  if (!report || report.workspaceId !== run.workspaceId)
    throw new Error(`saved report ${schedule.reportId} of schedule ${schedule.id} no longer exists`);
  const doc = await buildReportDocument(ctx.data, {
    workspaceId: run.workspaceId,
    title: schedule.name || report.title,
    source: parseReportSource(report.definition, report.id),
    timeRange: schedule.timeRange,
    timezone: schedule.timezone,
    at: run.scheduledFor,
    generatedAt: ctx.clock.now(),
    actingUserId: schedule.createdBy,
  });
  const stem = `${slugify(doc.title)}-${run.scheduledFor.toISOString().slice(0, 10)}`;
  const files: RunFile[] = [];
  for (const format of schedule.formats) {
    const name = `${stem}.${extensions[format]}`;
    const path = `${folder}/${name}`;
    const rendered = await ctx.downloads.write(path, (out) => renderReport(doc, format, out));
    files.push({ format, name, path, bytes: rendered.bytes, contentType: rendered.contentType });
  }
  const summary = summarizeDocument(doc);
  await ctx.downloads.write(summaryPath, async (out) => {
    out.end(JSON.stringify(summary));
    await new Promise((resolve) => out.once('close', resolve));
  });
  await ctx.runs.saveFiles(run.id, files);
  return { files, summary };
}

function composeMessage(
  ctx: RunContext,
  run: ReportRun,
  files: RunFile[],
  summary: MessageSummary,
): DeliveryMessage {
  const expiresAt = new Date(ctx.clock.now().getTime() + ctx.linkTtlMs);
  const delivered = files.map((f) => {
    const link = ctx.downloads.link(f.path, expiresAt);
    return { ...f, filePath: ctx.downloads.absolute(f.path), url: link.url, expiresAt: link.expiresAt };
  });
  return { runId: run.id, ...summary, files: delivered, link: delivered[0]?.url ?? '' };
}

export const slugify = (title: string) =>
  title
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '-')
    .slice(0, 60) || 'report';
