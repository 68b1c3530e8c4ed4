import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogConfig } from '../config/index.ts';
import { maskEmails, maskPii } from './mask-pii.ts';

export type { Logger } from 'pino';

/**
 * Paths masked in every log line. Personal data (e-mail, names, IPs) and secrets never reach
 * logs: events are logged by id, and anything that slips into these fields is redacted.
 */
export const redactedLogPaths = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'writeKey',
  '*.writeKey',
  'email',
  '*.email',
  '*.*.email',
  'traits.email',
  'ip',
  '*.ip',
  'context.ip',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

/**
 * JSON-lines logger. Personal data is masked twice over: `maskPii` walks every record (contract PII
 * fields of logged events, e-mail addresses and secrets at any depth) and the redact paths above
 * catch the same keys on objects pino serializes itself (requests, headers). Every line carries
 * the active trace and span ids so a log line leads to its trace; HTTP request ids come from the
 * server's child loggers.
 */
export function createLogger(config: LogConfig, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.level,
      base: { service: config.serviceName },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedLogPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }), log: (record) => maskPii(record) },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskEmails(a) : a)) as typeof args;
          return method.apply(this, masked);
        },
      },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const { traceId, spanId } = span.spanContext();
        return { trace_id: traceId, span_id: spanId };
      },
    },
    destination,
  );
}
