import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { PassThrough } from 'node:stream';
import { type MetadataStore, PulseError } from '@pulse/core';
import {
  exportReportFile,
  importReportFile,
  parseReportSource,
  parseScheduleDefinition,
  redactRecipient,
  relativeTimeRangeSchema,
  type ReportScheduler,
  type ReportRun,
  scheduleDefinitionSchema,
  scheduleFormats,
  type StoredSchedule,
} from '@pulse/reports';
import { previewRows } from '@pulse/reports/exports/index';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { access, publicRoute } from '../auth/access.ts';

export interface ReportRoutesDeps {
  metadata: Pick<MetadataStore, 'db' | 'reports'>;
  /** Owns schedules, runs, previews and the downloads area (see createReportScheduler). */
  scheduler: ReportScheduler;
  /** How long links minted from run history work. */
  linkTtlMs?: number;
}

const idParam = z.object({ id: z.uuid('a schedule id is a uuid') });
const runParam = z.object({ id: z.string().min(1).max(200) });
const runsQuery = z
  .object({
    scheduleId: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
const exportQuery = z
  .object({
    format: z.enum(['yaml', 'json']).default('yaml'),
    includeCredentials: z.enum(['true', 'false']).default('false'),
  })
  .strict();
const previewBody = z
  .object({
    reportId: z.uuid(),
    format: z.enum(scheduleFormats).default('pdf'),
    timeRange: relativeTimeRangeSchema.optional(),
    timezone: z.string().min(1).max(64).optional(),
  })
  .strict();
const schedulePreviewQuery = z.object({ format: z.enum(scheduleFormats).default('pdf') }).strict();
const previewRowsQuery = z
  .object({
    format: z.enum(['csv', 'arrow']),
    limit: z.coerce.number().int().min(1).max(200).default(20),
  })
  .strict();
const importBody = z.object({ content: z.string().min(1).max(1_000_000) }).strict();
const downloadQuery = z.object({ expires: z.string().max(20), signature: z.string().max(100) }).strict();

/**
 * Scheduled reports over HTTP: schedules (CRUD, export/import as files), run history with
 * per-recipient deliveries, "send now", previews and the signed downloads. Every route acts in
 * the caller's workspace only; another workspace's schedule or run is "not found". Webhook URLs
 * and secrets are credentials: the API never shows them back.
 */
export function registerReportRoutes(app: FastifyInstance, deps: ReportRoutesDeps): void {
  const { scheduler } = deps;
  const schedules = scheduler.schedules;
  const now = () => scheduler.clock.now();
  const linkTtlMs = deps.linkTtlMs ?? 7 * 86_400_000;

  app.get('/api/v1/report-schedules', { config: access('reports:read') }, async (request) => ({
    schedules: (await schedules.list(workspaceOf(request))).map(describeSchedule),
  }));

  app.post('/api/v1/report-schedules', { config: access('reports:schedule') }, async (request, reply) => {
    const definition = parseScheduleDefinition(request.body ?? {});
    await assertSchedulable(deps, workspaceOf(request), definition.reportId);
    const created = await schedules.create(workspaceOf(request), definition, {
      now: now(),
      createdBy: request.principal.userId,
    });
    reply.status(201);
    return describeSchedule(created);
  });

  app.get('/api/v1/report-schedules/:id', { config: access('reports:read') }, async (request) => {
    const { id } = parse(idParam, request.params, 'SCHEDULE_INVALID', 'the schedule id');
    return describeSchedule(await schedules.get(workspaceOf(request), id));
  });

  app.patch('/api/v1/report-schedules/:id', { config: access('reports:schedule') }, async (request) => {
    const { id } = parse(idParam, request.params, 'SCHEDULE_INVALID', 'the schedule id');
    const change = parse(scheduleDefinitionSchema.partial(), request.body, 'SCHEDULE_INVALID', 'the change');
    // Only present keys change: zod's defaults would otherwise reset `enabled` and `timezone`.
    const present = Object.fromEntries(
      Object.entries(change).filter(([key]) => key in (request.body as object)),
    );
    if (present.reportId) await assertSchedulable(deps, workspaceOf(request), present.reportId as string);
    return describeSchedule(await schedules.update(workspaceOf(request), id, present, { now: now() }));
  });

  app.delete(
    '/api/v1/report-schedules/:id',
    { config: access('reports:schedule') },
    async (request, reply) => {
      const { id } = parse(idParam, request.params, 'SCHEDULE_INVALID', 'the schedule id');
      if (!(await schedules.delete(workspaceOf(request), id)))
        throw new PulseError('SCHEDULE_NOT_FOUND', `schedule ${id} does not exist in this workspace`);
      reply.status(204);
    },
  );

  app.get(
    '/api/v1/report-schedules/:id/export',
    { config: access('reports:schedule') },
    async (request, reply) => {
      const { id } = parse(idParam, request.params, 'SCHEDULE_INVALID', 'the schedule id');
      const q = parse(exportQuery, request.query, 'SCHEDULE_INVALID', 'the export request');
      const schedule = await schedules.get(workspaceOf(request), id);
      const report = await deps.metadata.reports.get(schedule.reportId);
      if (!report) throw new PulseError('REPORT_NOT_FOUND', `saved report ${schedule.reportId} is gone`);
      const text = exportReportFile(
        { title: report.title, definition: parseReportSource(report.definition, report.id) },
        { ...schedule, timeRange: schedule.timeRange ?? undefined }, // the stored extras are dropped
        { format: q.format, includeCredentials: q.includeCredentials === 'true' },
      );
      return reply
        .header('content-type', q.format === 'json' ? 'application/json' : 'application/yaml; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="schedule-${id}.${q.format === 'json' ? 'json' : 'yaml'}"`,
        )
        .send(text);
    },
  );

  // Importing creates the saved report too, so it needs both permissions: the route declares
  // the rarer one and checks the other itself.
  app.post(
    '/api/v1/report-schedules/import',
    { config: access('reports:schedule') },
    async (request, reply) => {
      if (!request.principal.permissions.has('reports:write'))
        throw new PulseError(
          'PERMISSION_DENIED',
          'importing a report file saves a report, which needs reports:write',
          {
            hint: 'Ask for a role with reports:write (analyst or above), or have one import the file.',
          },
        );
      const { content } = parse(importBody, request.body, 'REPORT_FILE_INVALID', 'the import request');
      const file = importReportFile(content);
      const workspaceId = workspaceOf(request);
      const report = await deps.metadata.reports.create({
        workspaceId,
        title: file.report.title,
        definition: file.report.definition,
        ...(request.principal.userId ? { createdBy: request.principal.userId } : {}),
      });
      const schedule = await schedules.create(
        workspaceId,
        parseScheduleDefinition({ ...file.schedule, reportId: report.id }),
        { now: now(), createdBy: request.principal.userId },
      );
      reply.status(201);
      return {
        reportId: report.id,
        schedule: describeSchedule(schedule),
        omittedRecipients: file.omittedRecipients ?? [],
      };
    },
  );

  app.post(
    '/api/v1/report-schedules/:id/send',
    { config: access('reports:schedule') },
    async (request, reply) => {
      const { id } = parse(idParam, request.params, 'SCHEDULE_INVALID', 'the schedule id');
      const { run, outcome } = await scheduler.sendNow(workspaceOf(request), id);
      reply.status(run.status === 'succeeded' ? 201 : 202);
      return { run: describeRun(run), outcome };
    },
  );

  app.get(
    '/api/v1/report-schedules/:id/preview',
    { config: access('exports:create') },
    async (request, reply) => {
      const { id } = parse(idParam, request.params, 'SCHEDULE_INVALID', 'the schedule id');
      const { format } = parse(
        schedulePreviewQuery,
        request.query,
        'SCHEDULE_INVALID',
        'the preview request',
      );
      const schedule = await schedules.get(workspaceOf(request), id);
      return sendPreview(reply, scheduler, {
        workspaceId: schedule.workspaceId,
        reportId: schedule.reportId,
        format,
        timeRange: schedule.timeRange,
        timezone: schedule.timezone,
        ...(schedule.name ? { title: schedule.name } : {}),
        actingUserId: request.principal.userId,
      });
    },
  );

  // The first rows of the CSV or Arrow preview, read back from the rendered file, so the page can
  // show them before the person downloads it.
  app.get(
    '/api/v1/report-schedules/:id/preview-rows',
    { config: access('exports:create') },
    async (request) => {
      const { id } = parse(idParam, request.params, 'SCHEDULE_INVALID', 'the schedule id');
      const q = parse(previewRowsQuery, request.query, 'SCHEDULE_INVALID', 'the preview request');
      const schedule = await schedules.get(workspaceOf(request), id);
      const chunks: Buffer[] = [];
      const out = new PassThrough();
      out.on('data', (c: Buffer) => chunks.push(c));
      await scheduler.preview(
        {
          workspaceId: schedule.workspaceId,
          reportId: schedule.reportId,
          format: q.format,
          timeRange: schedule.timeRange,
          timezone: schedule.timezone,
          ...(schedule.name ? { title: schedule.name } : {}),
          actingUserId: request.principal.userId,
        },
        out,
      );
      const bytes = Buffer.concat(chunks);
      return { format: q.format, bytes: bytes.length, ...previewRows(bytes, q.format, q.limit) };
    },
  );

  app.post('/api/v1/report-runs/preview', { config: access('exports:create') }, async (request, reply) => {
    const body = parse(previewBody, request.body, 'REPORT_PREVIEW_INVALID', 'the preview request');
    return sendPreview(reply, scheduler, {
      workspaceId: workspaceOf(request),
      reportId: body.reportId,
      format: body.format,
      ...(body.timeRange ? { timeRange: body.timeRange } : {}),
      ...(body.timezone ? { timezone: body.timezone } : {}),
      actingUserId: request.principal.userId,
    });
  });

  app.get('/api/v1/report-runs', { config: access('reports:read') }, async (request) => {
    const q = parse(runsQuery, request.query, 'REPORT_RUN_INVALID', 'the run history request');
    // One more than asked says whether an older page exists.
    const runs = await scheduler.runs.list(workspaceOf(request), { ...q, limit: q.limit + 1 });
    return {
      runs: runs.slice(0, q.limit).map(describeRun),
      nextOffset: runs.length > q.limit ? q.offset + q.limit : null,
    };
  });

  app.get('/api/v1/report-runs/:id', { config: access('reports:read') }, async (request) => {
    const { id } = parse(runParam, request.params, 'REPORT_RUN_INVALID', 'the run id');
    const run = await scheduler.runs.get(workspaceOf(request), id);
    return { ...describeRun(run), deliveries: await scheduler.runs.deliveries(run.id) };
  });

  app.post('/api/v1/report-runs/:id/links', { config: access('exports:create') }, async (request) => {
    const { id } = parse(runParam, request.params, 'REPORT_RUN_INVALID', 'the run id');
    const run = await scheduler.runs.get(workspaceOf(request), id);
    const expiresAt = new Date(now().getTime() + linkTtlMs);
    return {
      links: run.files
        .filter((f) => scheduler.downloads.exists(f.path))
        .map((f) => ({
          format: f.format,
          name: f.name,
          bytes: f.bytes,
          ...scheduler.downloads.link(f.path, expiresAt),
        })),
    };
  });

  // The signature is the credential: these links go out by e-mail to people without an account.
  app.get(
    '/api/v1/downloads/*',
    { config: publicRoute('signed, expiring link sent with a report; the HMAC is the credential') },
    async (request, reply) => {
      const path = (request.params as { '*': string })['*'];
      const q = downloadQuery.safeParse(request.query);
      try {
        const file = scheduler.downloads.verify(path, q.data?.expires, q.data?.signature, now());
        return reply
          .header('content-type', contentTypeOf(file))
          .header('content-length', statSync(file).size)
          .header('content-disposition', `attachment; filename="${basename(file)}"`)
          .header('cache-control', 'private, no-store')
          .send(createReadStream(file));
      } catch (err) {
        if (!(err instanceof PulseError)) throw err;
        const status =
          err.code === 'DOWNLOAD_LINK_EXPIRED' ? 410 : err.code === 'DOWNLOAD_NOT_FOUND' ? 404 : 403;
        return reply
          .status(status)
          .send({ error: { code: err.code, message: err.message, hint: err.hint, requestId: request.id } });
      }
    },
  );
}

async function sendPreview(
  reply: FastifyReply,
  scheduler: ReportScheduler,
  request: Parameters<ReportScheduler['preview']>[0],
) {
  // Rendered into memory first: a query error then becomes a proper JSON error, not a cut-off file.
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (c: Buffer) => chunks.push(c));
  const rendered = await scheduler.preview(request, out);
  return reply
    .header('content-type', rendered.contentType)
    .header('content-disposition', `inline; filename="preview.${rendered.extension}"`)
    .send(Buffer.concat(chunks));
}

const describeSchedule = (s: StoredSchedule) => ({
  id: s.id,
  reportId: s.reportId,
  name: s.name,
  cron: s.cron,
  timezone: s.timezone,
  timeRange: s.timeRange,
  formats: s.formats,
  recipients: s.recipients.map(redactRecipient),
  enabled: s.enabled,
  nextRunAt: s.nextRunAt?.toISOString() ?? null,
  createdBy: s.createdBy,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});

const describeRun = (r: ReportRun) => ({
  id: r.id,
  scheduleId: r.scheduleId,
  reportId: r.reportId,
  trigger: r.trigger,
  scheduledFor: r.scheduledFor.toISOString(),
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.nextAttemptAt?.toISOString() ?? null,
  startedAt: r.startedAt?.toISOString() ?? null,
  finishedAt: r.finishedAt?.toISOString() ?? null,
  durationMs: r.durationMs,
  sizeBytes: r.sizeBytes,
  error: r.error,
  files: r.files.map((f) => ({ format: f.format, name: f.name, bytes: f.bytes, contentType: f.contentType })),
});

async function assertSchedulable(deps: ReportRoutesDeps, workspaceId: string, reportId: string) {
  const report = await deps.metadata.reports.get(reportId);
  if (!report || report.workspaceId !== workspaceId)
    throw new PulseError('REPORT_NOT_FOUND', `saved report ${reportId} does not exist in this workspace`, {
      hint: 'Save the report in Explore first (POST /api/v1/reports), then schedule it by its id.',
    });
  parseReportSource(report.definition, report.id);
}

const contentTypes: Record<string, string> = {
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
  arrows: 'application/vnd.apache.arrow.stream',
};
const contentTypeOf = (file: string) =>
  contentTypes[file.split('.').pop() ?? ''] ?? 'application/octet-stream';

function workspaceOf(request: FastifyRequest): string {
  const id = request.principal?.workspaceId;
  if (!id)
    throw new PulseError('WORKSPACE_NOT_FOUND', 'you are not in any workspace', {
      hint: 'Ask an admin to add you to one.',
    });
  return id;
}

function parse<T extends z.ZodType>(schema: T, input: unknown, code: string, what: string): z.infer<T> {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success)
    throw new PulseError(code, `${what} is not valid`, {
      hint: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      context: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  return parsed.data;
}
