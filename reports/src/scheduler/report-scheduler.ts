import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type MetadataStore, PulseError, type SmtpConfig } from '@pulse/core';
import type { MetricCatalog, Warehouse } from '@pulse/warehouse';
import type { RelativeTimeRange } from '../definitions/report-definition.ts';
import { parseReportSource } from '../definitions/report-definition.ts';
import { nextOccurrence } from '../definitions/schedule-definition.ts';
import { type RecipientKeys, scheduleStore } from '../definitions/schedule-store.ts';
import { createRecipientSender, type SendToRecipient } from '../delivery/deliver-to-recipient.ts';
import type { DownloadArea } from '../delivery/download-area.ts';
import { createMailer } from '../delivery/email-message.ts';
import { type RenderedReport, type ReportFormat, renderReport } from '../renderers/index.ts';
import { resolveDataPolicy } from '@pulse/core/rbac/data-policies';
import {
  buildReportDocument,
  type ReportDataSources,
  type ResolveDashboard,
} from './build-report-document.ts';
import { type Clock, executeRun, type RetryPolicy, type RunContext, type RunOutcome } from './execute-run.ts';
import { type ReportRun, runStore } from './run-store.ts';

export interface ReportSchedulerOptions {
  metadata: MetadataStore;
  warehouse: Warehouse;
  catalog: MetricCatalog;
  downloads: DownloadArea;
  smtp: SmtpConfig;
  resolveDashboard?: ResolveDashboard;
  /** Seal recipients (webhook URLs and secrets, e-mail addresses) at rest; see recipientKeys(). */
  recipientKeys?: RecipientKeys;
  /** Whose row policies a run obeys; by default the acting user's membership in the workspace. */
  policyFor?: ReportDataSources['policyFor'];
  /** The real clock by default; tests pass a fake one and call `tick()` themselves. */
  clock?: Clock;
  /** Names this process in the lease and in run claims; unique per process by default. */
  instanceId?: string;
  tickIntervalMs?: number;
  /** How long leadership lasts without renewal: another process takes over after this. */
  leaseMs?: number;
  /** How long one attempt may hold a run before another process may assume it died. */
  claimMs?: number;
  linkTtlMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Replaces the channel senders (tests wrap the real one to simulate a crash). */
  send?: SendToRecipient;
  onError?: (err: unknown, context: Record<string, unknown>) => void;
}

export interface TickResult {
  leader: boolean;
  /** Runs recorded this tick for schedules that came due. */
  enqueued: string[];
  outcomes: RunOutcome[];
}

/**
 * The report scheduler. Each tick: take (or keep) the leader lease; record a run for every due
 * schedule (run id = schedule id + scheduled instant, so it exists once whoever records it);
 * then work through open runs — new, retrying after backoff, or abandoned by a process that died.
 * Only the leader ticks; "send now" and "preview" work in any process.
 */
export function createReportScheduler(options: ReportSchedulerOptions) {
  const clock = options.clock ?? { now: () => new Date() };
  const holder = options.instanceId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const claimMs = options.claimMs ?? 10 * 60_000;
  const schedules = scheduleStore(options.metadata.db, { keys: options.recipientKeys });
  const runs = runStore(options.metadata.db);
  const data = {
    warehouse: options.warehouse,
    catalog: options.catalog,
    resolveDashboard: options.resolveDashboard,
    // A report never shows more than its owner may see: their role's row filters and clearance.
    // An owner who left the workspace gets what a viewer gets.
    policyFor:
      options.policyFor ??
      (async (workspaceId: string, userId: string | null) => {
        const [member] = userId
          ? await options.metadata.db.query<{ role: string }>(
              'SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2',
              [workspaceId, userId],
            )
          : [];
        return resolveDataPolicy(options.metadata, { workspaceId, userId, role: member?.role ?? 'viewer' });
      }),
  };
  const ctx: RunContext = {
    metadata: options.metadata,
    schedules,
    runs,
    data,
    downloads: options.downloads,
    send: options.send ?? createRecipientSender({ mailer: createMailer(options.smtp) }),
    clock,
    linkTtlMs: options.linkTtlMs ?? 7 * 86_400_000,
    retry: { maxAttempts: 4, baseDelayMs: 60_000, maxDelayMs: 30 * 60_000, ...options.retry },
    onError: options.onError,
  };
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<TickResult> | undefined;

  async function tick(): Promise<TickResult> {
    const now = clock.now();
    const leader = await runs.acquireLease(holder, now, new Date(now.getTime() + leaseMs));
    if (!leader) return { leader, enqueued: [], outcomes: [] };
    const enqueued: string[] = [];
    for (const schedule of await schedules.due(now)) {
      const scheduledFor = schedule.nextRunAt!;
      // Missed instants (the scheduler was down) collapse into this one run: the next is after now.
      const next = nextOccurrence(schedule.cron, schedule.timezone, now);
      if (await runs.enqueueScheduled(schedule, scheduledFor, next))
        enqueued.push(`${schedule.id}@${scheduledFor.toISOString()}`);
    }
    const outcomes: RunOutcome[] = [];
    for (const run of await runs.claim(now, holder, new Date(now.getTime() + claimMs)))
      outcomes.push(await executeRun(ctx, run));
    return { leader, enqueued, outcomes };
  }

  return {
    instanceId: holder,
    schedules,
    runs,
    downloads: options.downloads,
    clock,
    /** One scheduler pass; ticks never overlap (a call during a tick waits for it). */
    tick(): Promise<TickResult> {
      ticking ??= tick().finally(() => {
        ticking = undefined;
      });
      return ticking;
    },
    start(): void {
      if (timer) return;
      timer = setInterval(() => {
        this.tick().catch((err) => options.onError?.(err, { during: 'tick' }));
      }, options.tickIntervalMs ?? 15_000);
      timer.unref();
    },
    /** Stops ticking, lets a running tick finish and hands the lease over at once. */
    async stop(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await ticking?.catch(() => {});
      await runs.releaseLease(holder);
    },
    /** "Send now": a run of its own, executed in this process; a transient failure is retried by the leader. */
    async sendNow(workspaceId: string, scheduleId: string): Promise<{ run: ReportRun; outcome: RunOutcome }> {
      const schedule = await schedules.get(workspaceId, scheduleId);
      const now = clock.now();
      const created = await runs.enqueueManual(schedule, now);
      const [claimed] = await runs.claim(now, holder, new Date(now.getTime() + claimMs), {
        runId: created.id,
      });
      const outcome = await executeRun(ctx, claimed ?? created);
      return { run: await runs.get(workspaceId, created.id), outcome };
    },
    /**
     * "Preview": renders a saved report (with a schedule's range and zone, when given) into `out`,
     * without recording a run or sending anything.
     */
    async preview(
      request: {
        workspaceId: string;
        reportId: string;
        format: ReportFormat;
        timeRange?: RelativeTimeRange | null;
        timezone?: string;
        title?: string;
        /** Whose data policy applies (the person previewing). */
        actingUserId?: string | null;
      },
      out: NodeJS.WritableStream,
    ): Promise<RenderedReport> {
      const report = await options.metadata.reports.get(request.reportId);
      if (!report || report.workspaceId !== request.workspaceId) throw reportNotFound(request.reportId);
      const source = parseReportSource(report.definition, report.id);
      const now = clock.now();
      const doc = await buildReportDocument(data, {
        workspaceId: request.workspaceId,
        title: request.title || report.title,
        source,
        timeRange: request.timeRange ?? null,
        timezone: request.timezone ?? (source.kind === 'explore' ? source.query.timezone : 'UTC'),
        at: now,
        actingUserId: request.actingUserId ?? null,
      });
      return renderReport(doc, request.format, out);
    },
  };
}

export type ReportScheduler = ReturnType<typeof createReportScheduler>;

function reportNotFound(reportId: string): PulseError {
  return new PulseError('REPORT_NOT_FOUND', `saved report ${reportId} does not exist in this workspace`, {
    hint: 'Save the report in Explore first; GET /api/v1/reports lists the saved ones.',
  });
}
