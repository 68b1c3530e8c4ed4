import { randomUUID } from 'node:crypto';
import type { Logger } from '@pulse/core';
import { type FastifyBaseLogger, type FastifyServerOptions, LogController } from 'fastify';

/**
 * What every Pulse HTTP server (the whole app, or a collector on its own) starts Fastify with:
 * the process's logger without per-request lines, request ids taken from `x-request-id` or made,
 * and connections closed on shutdown.
 */
export function fastifyOptions(logger: Logger): FastifyServerOptions & { loggerInstance: FastifyBaseLogger } {
  return {
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    forceCloseConnections: true,
  };
}
