import type { z } from 'zod';
import { familySchemas } from '../events/event.ts';

/**
 * Keys whose values never reach a log line, at any depth: personal data that has no other
 * meaning in Pulse (e-mail, phone, IP) and secrets. Compared case-insensitively, `_`/`-` ignored.
 */
const alwaysMasked = new Set(
  [
    'email',
    'phone',
    'ip',
    'ipAddress',
    'password',
    'passwordHash',
    'token',
    'accessToken',
    'refreshToken',
    'idToken',
    'secret',
    'clientSecret',
    'secretKey',
    'apiKey',
    'writeKey',
    'authorization',
    'cookie',
    'setCookie',
    'sealed',
    'credentials',
  ].map(normalise),
);

/**
 * Fields the event contract marks as personal data (`.meta(pii)` in core/src/events), as dotted
 * paths: `userId`, `traits`, `attributes.email`, `author.id`, … Read from the schemas, so a field
 * marked there is masked here without a second list to keep in step.
 */
export const contractPiiPaths: ReadonlySet<string> = new Set(
  Object.values(familySchemas).flatMap((schema) => piiPaths(schema as z.ZodType, '')),
);

const emailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const censor = '[redacted]';
const maxDepth = 8;

/**
 * Returns a copy of a log record with personal data masked: always-masked keys anywhere, the
 * contract's PII fields in anything shaped like an event (it has a stream `family` and an
 * `eventId`), and e-mail addresses inside any string. Only plain objects and arrays are walked:
 * errors, requests and other class instances go to pino's serializers and redact paths untouched.
 */
export function maskPii<T>(value: T): T {
  return walk(value, 0) as T;
}

/** E-mail addresses in free text (log messages) become `[email]`. */
export const maskEmails = (text: string): string => text.replace(emailPattern, '[email]');

function walk(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.includes('@') ? maskEmails(value) : value;
  if (value === null || typeof value !== 'object' || depth > maxDepth) return value;
  if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const record = value as Record<string, unknown>;
  const isEvent = typeof record.family === 'string' && typeof record.eventId === 'string';
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    out[k] = alwaysMasked.has(normalise(k)) && v !== undefined && v !== null ? censor : walk(v, depth + 1);
  }
  if (isEvent) for (const path of contractPiiPaths) maskPath(out, path.split('.'));
  return out;
}

function maskPath(target: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (!(head in target)) return;
  if (rest.length === 0) {
    target[head] = censor;
    return;
  }
  const next = target[head];
  if (next && typeof next === 'object' && !Array.isArray(next)) {
    const copy = { ...(next as Record<string, unknown>) };
    target[head] = copy;
    maskPath(copy, rest);
  }
}

function normalise(key: string): string {
  return key.toLowerCase().replaceAll(/[-_]/g, '');
}

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
};

function piiPaths(schema: z.ZodType, prefix: string): string[] {
  const meta = (schema as { meta?: () => Record<string, unknown> | undefined }).meta?.();
  if (prefix && meta?.pii === true) return [prefix];
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape ?? {}).flatMap(([k, s]) => piiPaths(s, prefix ? `${prefix}.${k}` : k));
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      return def.innerType ? piiPaths(def.innerType, prefix) : [];
    case 'union':
      return (def.options ?? []).flatMap((o) => piiPaths(o, prefix));
    case 'intersection':
      return [
        ...(def.left ? piiPaths(def.left, prefix) : []),
        ...(def.right ? piiPaths(def.right, prefix) : []),
      ];
    case 'pipe':
      return def.in ? piiPaths(def.in, prefix) : [];
    default:
      return [];
  }
}
