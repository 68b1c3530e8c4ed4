import { createReadStream } from 'node:fs';
import { PulseError, type SqlDriver } from '@pulse/core';
import type { ExportJobs, ExportOwner } from '@pulse/reports/exports/index';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { access } from '../auth/access.ts';
import { dataPolicyOf } from '../auth/data-policy.ts';

export interface ExportRoutesDeps {
  /** `await createExportJobs({ warehouse, catalog, directory: <data dir>/exports, store })`; closed by the caller. */
  exports: ExportJobs;
  /** Where the caller's row policies live. */
  metadata: { db: SqlDriver };
}

const idParams = z.object({ id: z.uuid() }).strict();
const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

/**
 * Ad-hoc exports of a tile, an Explore result (and later a SQL result) as a job: POST starts it
 * and answers 202 with the job, GET lists the caller's jobs, GET …/:id polls progress,
 * GET …/file downloads, DELETE cancels. Jobs
 * belong to the calling user in the calling workspace, taken from the principal only.
 */
export function registerExportRoutes(app: FastifyInstance, deps: ExportRoutesDeps): void {
  const { exports } = deps;
  const rule = { config: access('exports:create') };

  app.post('/api/v1/exports', rule, async (request, reply) => {
    const owner = ownerOf(request);
    const job = exports.start({ ...owner, policy: await dataPolicyOf(request, deps.metadata) }, request.body);
    return reply.code(202).header('location', `/api/v1/exports/${job.id}`).send(withLinks(job));
  });

  // The caller's exports, newest first, kept across restarts; `nextCursor` fetches the next page.
  app.get('/api/v1/exports', rule, async (request) => {
    const parsed = listQuery.safeParse(request.query);
    if (!parsed.success)
      throw new PulseError('EXPORT_INVALID', 'the list parameters are not valid', {
        hint: 'Use limit=1..200 and the cursor a previous page answered with as nextCursor.',
        context: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      });
    const page = exports.list(ownerOf(request), parsed.data);
    return { jobs: page.jobs.map(withLinks), nextCursor: page.nextCursor };
  });

  app.get('/api/v1/exports/:id', rule, async (request) =>
    withLinks(exports.get(ownerOf(request), exportId(request))),
  );

  app.get('/api/v1/exports/:id/file', rule, async (request, reply) => {
    const file = exports.file(ownerOf(request), exportId(request));
    return reply
      .header('content-type', file.contentType)
      .header('content-length', file.bytes)
      .header('content-disposition', contentDisposition(file.fileName))
      .header('cache-control', 'private, no-store')
      .send(createReadStream(file.path));
  });

  app.delete('/api/v1/exports/:id', rule, async (request) =>
    withLinks(exports.cancel(ownerOf(request), exportId(request))),
  );
}

function ownerOf(request: FastifyRequest): ExportOwner {
  const { workspaceId, userId } = request.principal ?? {};
  if (!workspaceId || !userId)
    throw new PulseError('AUTH_REQUIRED', 'exports need a signed-in user acting in a workspace', {
      hint: 'Sign in, and pick a workspace with the x-pulse-workspace header when you belong to several.',
    });
  return { workspaceId, userId };
}

function exportId(request: FastifyRequest): string {
  const parsed = idParams.safeParse(request.params);
  if (!parsed.success)
    throw new PulseError('EXPORT_NOT_FOUND', 'no such export', {
      hint: 'Export ids are the UUIDs POST /api/v1/exports answered with.',
    });
  return parsed.data.id;
}

/** A plain ASCII name for old clients, the exact UTF-8 name (RFC 6266) for the rest. */
function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

function withLinks<T extends { id: string; state: string }>(job: T) {
  return {
    ...job,
    links: {
      self: `/api/v1/exports/${job.id}`,
      ...(job.state === 'done' ? { file: `/api/v1/exports/${job.id}/file` } : {}),
    },
  };
}
