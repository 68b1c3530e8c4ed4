import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { context as otelContext, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import {
  type CollectorConfig,
  Counter,
  isPulseError,
  type Logger,
  PulseError,
  type Registry,
} from '@pulse/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Bus, publishEvents } from '../bus/index.ts';
import { acceptEvents } from './accept-events.ts';
import { createRateLimiter } from './rate-limiter.ts';

export interface WriteKeyOwner {
  workspaceId: string;
  sourceId: string;
}
export interface CollectorOptions {
  bus: Bus;
  config: CollectorConfig;
  /** Looks a write key up (the caller caches); undefined for an unknown or revoked key. */
  resolveWriteKey(key: string): Promise<WriteKeyOwner | undefined>;
  logger: Logger;
  metrics?: Registry;
}

const segmentCalls = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;

/**
 * The collector: Segment-compatible endpoints (`/v1/batch`, `/v1/track`, …), so Segment and
 * RudderStack SDKs work unchanged, and `/v1/events` for the social and CRM contract. A request is
 * acknowledged only after the bus has durably taken its valid events. Semantics:
 * - 200 `{ success: true, accepted, rejected: [{ index, reason }] }`: valid events were taken,
 *   the listed ones were not (fix and resend only those);
 * - 400 when no event was valid; 401 for a missing or unknown write key;
 * - 413 above the body or batch limit; 429 with Retry-After above the key's rate;
 * - 503 with Retry-After while the bus cannot take events: nothing was acknowledged, resend all.
 */
export function registerCollector(app: FastifyInstance, options: CollectorOptions): void {
  const { bus, config } = options;
  const registers = options.metrics ? [options.metrics] : [];
  const received = new Counter({
    name: 'pulse_collector_received_total',
    help: 'Events received by the collector',
    labelNames: ['endpoint'],
    registers,
  });
  const rejected = new Counter({
    name: 'pulse_collector_rejected_total',
    help: 'Events or requests refused, by reason',
    labelNames: ['reason'],
    registers,
  });
  const produced = new Counter({
    name: 'pulse_collector_produced_total',
    help: 'Events acknowledged after the bus took them',
    labelNames: ['family'],
    registers,
  });
  const limiter = createRateLimiter(config.rateLimitPerSecond);

  app.register(async (scope) => {
    // SDKs gzip their batches; decompress before parsing so the body limit counts real bytes.
    scope.addHook('preParsing', async (request, _reply, payload) => {
      if (request.headers['content-encoding'] !== 'gzip') return payload;
      const compressed: Buffer[] = [];
      let size = 0;
      for await (const chunk of payload) {
        size += (chunk as Buffer).length;
        if (size > config.maxBodyBytes) throw Object.assign(new Error('body too large'), { statusCode: 413 });
        compressed.push(chunk as Buffer);
      }
      let body: Buffer;
      try {
        // maxOutputLength stops a gzip bomb before it fills memory.
        body = gunzipSync(Buffer.concat(compressed), { maxOutputLength: config.maxBodyBytes + 1 });
      } catch (err) {
        const tooLarge = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
        throw Object.assign(new Error(tooLarge ? 'body too large' : 'the body is not valid gzip'), {
          statusCode: tooLarge ? 413 : 400,
        });
      }
      if (body.length > config.maxBodyBytes)
        throw Object.assign(new Error('body too large'), { statusCode: 413 });
      delete request.headers['content-length'];
      delete request.headers['content-encoding'];
      return Readable.from([body]);
    });
    scope.addContentTypeParser(
      ['text/plain', 'application/x-www-form-urlencoded'],
      { parseAs: 'string', bodyLimit: config.maxBodyBytes },
      (_req, body, done) => {
        try {
          done(null, JSON.parse(body as string));
        } catch (err) {
          done(err as Error, undefined);
        }
      },
    );
    scope.setErrorHandler((err, request, reply) => {
      const e = err as { statusCode?: number; code?: string; message: string };
      if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        rejected.inc({ reason: 'body_too_large' });
        return reply.status(413).send({
          success: false,
          error: {
            code: 'BODY_TOO_LARGE',
            message: `request body is larger than ${config.maxBodyBytes} bytes`,
            hint: 'Send smaller batches (PULSE_COLLECTOR_MAX_BODY_BYTES).',
            requestId: request.id,
          },
        });
      }
      if (isPulseError(err))
        return reply
          .status(err.code === 'BAD_REQUEST' ? 400 : err.code === 'BUS_UNAVAILABLE' ? 503 : 500)
          .send({
            success: false,
            error: { code: err.code, message: err.message, hint: err.hint, requestId: request.id },
          });
      // Bodies that do not parse or decompress are the sender's fault, whatever threw.
      const unreadable =
        err instanceof SyntaxError || /^(Z_|FST_ERR_CTP|ERR_ZLIB)/.test(String(e.code ?? ''));
      if (unreadable || (e.statusCode && e.statusCode < 500)) {
        rejected.inc({ reason: 'malformed_body' });
        const status = e.statusCode && e.statusCode < 500 ? e.statusCode : 400;
        return reply.status(status).send({
          success: false,
          error: {
            code:
              status === 415
                ? 'UNSUPPORTED_MEDIA_TYPE'
                : status === 413
                  ? 'BODY_TOO_LARGE'
                  : 'MALFORMED_BODY',
            message: e.message,
            hint: 'Send a JSON body (optionally gzip-encoded).',
            requestId: request.id,
          },
        });
      }
      request.log.error({ err }, 'collector failure');
      return reply.status(500).send({
        success: false,
        error: { code: 'INTERNAL', message: 'the collector failed', requestId: request.id },
      });
    });

    // A span per request, continuing the caller's trace (traceparent header) when there is one;
    // its context travels in the bus message headers to the ingester.
    const tracer = trace.getTracer('pulse-collector');
    const ingest = (
      request: FastifyRequest,
      reply: FastifyReply,
      endpoint: string,
      items: unknown[],
      format: 'segment' | 'native',
    ) => {
      const incoming =
        otelContext.active() === ROOT_CONTEXT
          ? propagation.extract(ROOT_CONTEXT, request.headers)
          : otelContext.active();
      return tracer.startActiveSpan(
        `collector ${endpoint}`,
        { kind: SpanKind.SERVER, attributes: { 'pulse.events': items.length } },
        incoming,
        async (span) => {
          try {
            const result = await collect(request, reply, endpoint, items, format);
            span.setAttribute('http.response.status_code', reply.statusCode);
            return result;
          } finally {
            span.end();
          }
        },
      );
    };
    const collect = async (
      request: FastifyRequest,
      reply: FastifyReply,
      endpoint: string,
      items: unknown[],
      format: 'segment' | 'native',
    ) => {
      received.inc({ endpoint }, items.length);
      const owner = await authorize(request, options);
      if (!owner) {
        rejected.inc({ reason: 'unauthorized' });
        return reply
          .status(401)
          .header('www-authenticate', 'Basic realm="pulse"')
          .send({
            success: false,
            error: {
              code: 'UNAUTHORIZED',
              message: 'missing or unknown write key',
              hint: 'Send the source’s write key as the HTTP Basic user name (or as "writeKey" in the body).',
              requestId: request.id,
            },
          });
      }
      if (items.length > config.maxBatch) {
        rejected.inc({ reason: 'batch_too_long' });
        return reply.status(413).send({
          success: false,
          error: {
            code: 'BATCH_TOO_LONG',
            message: `a batch may hold at most ${config.maxBatch} events; this one has ${items.length}`,
            hint: 'Split the batch (PULSE_COLLECTOR_MAX_BATCH).',
            requestId: request.id,
          },
        });
      }
      const allowed = limiter.take(owner.sourceId, Math.max(1, items.length));
      if (!allowed.ok) {
        rejected.inc({ reason: 'rate_limited' });
        return reply
          .status(429)
          .header('retry-after', String(allowed.retryAfterSeconds))
          .send({
            success: false,
            error: {
              code: 'RATE_LIMITED',
              message: `this write key sends more than ${config.rateLimitPerSecond} events/s`,
              hint: `Retry after ${allowed.retryAfterSeconds} s.`,
              requestId: request.id,
            },
          });
      }
      const now = new Date();
      const { events, rejected: invalid } = acceptEvents(items, owner.workspaceId, format, now);
      if (invalid.length > 0) rejected.inc({ reason: 'invalid_event' }, invalid.length);
      if (events.length === 0) {
        return reply.status(400).send({
          success: false,
          accepted: 0,
          rejected: invalid,
          error: {
            code: 'NO_VALID_EVENTS',
            message: 'no event in the request is valid',
            hint: 'Each rejection names the index of the event and what is wrong with it.',
            requestId: request.id,
          },
        });
      }
      try {
        for (const [family, count] of await publishEvents(bus, events, now, { validated: true }))
          produced.inc({ family }, count);
      } catch (err) {
        rejected.inc({ reason: 'bus_unavailable' });
        options.logger.warn({ err }, 'bus unavailable: answering 503');
        return reply
          .status(503)
          .header('retry-after', '5')
          .send({
            success: false,
            error: {
              code: 'BUS_UNAVAILABLE',
              message: 'events could not be stored durably; none of this request was acknowledged',
              hint: 'Resend the whole request after Retry-After seconds.',
              requestId: request.id,
            },
          });
      }
      return reply.status(200).send({ success: true, accepted: events.length, rejected: invalid });
    };

    const opts = { bodyLimit: config.maxBodyBytes };
    scope.post('/v1/batch', opts, (request, reply) => {
      const body = asObject(request.body);
      if (!Array.isArray(body.batch)) throw new PulseError('BAD_REQUEST', 'expected { "batch": [ … ] }');
      const context = asObject(body.context);
      const items = body.batch.map((e: unknown) =>
        typeof e === 'object' && e !== null && Object.keys(context).length > 0
          ? { ...e, context: { ...context, ...asObject((e as { context?: unknown }).context) } }
          : e,
      );
      return ingest(request, reply, 'batch', items, 'segment');
    });
    for (const call of segmentCalls) {
      scope.post(`/v1/${call}`, opts, (request, reply) =>
        ingest(request, reply, call, [{ ...asObject(request.body), type: call }], 'segment'),
      );
    }
    scope.post('/v1/events', opts, (request, reply) => {
      const body = request.body;
      const items = Array.isArray(body) ? body : asObject(body).events;
      if (!Array.isArray(items))
        throw new PulseError('BAD_REQUEST', 'expected { "events": [ … ] } or a JSON array of events');
      return ingest(request, reply, 'events', items, 'native');
    });
  });
}

async function authorize(
  request: FastifyRequest,
  options: CollectorOptions,
): Promise<WriteKeyOwner | undefined> {
  const header = request.headers.authorization;
  let key: string | undefined;
  if (header?.startsWith('Basic '))
    key = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0];
  else if (header?.startsWith('Bearer ')) key = header.slice(7);
  key ||= String(asObject(request.body).writeKey ?? '') || undefined;
  return key ? options.resolveWriteKey(key) : undefined;
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
