import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { PulseError } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import type { Page } from '../metadata/repositories/paginate.ts';
import type { SqlDriver } from '../metadata/sql-driver.ts';

/**
 * Who did what to which thing, when, from where, and whether it worked. Actions are dotted,
 * area first, so a search for `auth.*` finds every sign-in event: `auth.login`, `auth.logout`,
 * `member.role_changed`, `export.csv`, `schedule.created`, `query.run`, `admin.user_disabled`.
 *
 * Strings are cleaned rather than refused (clipped, NULs and lone surrogates replaced): much of
 * what an entry records comes from the attacker, and a login must not escape the log by sending
 * a megabyte-long e-mail address or a byte PostgreSQL cannot store.
 */
export const auditEntryInput = z.object({
  workspaceId: cleanText(100).nullish(),
  at: z.date().optional(),
  actorType: z.enum(['user', 'api_key', 'system', 'anonymous']),
  actorId: cleanText(200).nullish(),
  action: z
    .string()
    .max(64)
    .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'expected a dotted lower-case action like auth.login'),
  targetType: cleanText(64).nullish(),
  targetId: cleanText(500).nullish(),
  sourceIp: cleanText(100).nullish(),
  outcome: z.enum(['success', 'failure', 'denied']),
  details: z
    .record(z.string(), z.json())
    .default({})
    .transform((d) => cleanJson(d) as Record<string, unknown>)
    .refine((d) => JSON.stringify(d).length <= 16_384, 'details must stay under 16 KiB of JSON'),
});
export type AuditEntryInput = z.input<typeof auditEntryInput>;
export type AuditOutcome = z.output<typeof auditEntryInput>['outcome'];

/** An entry as stored: the input plus its place and links in the chain. */
export interface AuditEntry {
  seq: number;
  id: string;
  workspaceId: string | null;
  at: string;
  actorType: z.output<typeof auditEntryInput>['actorType'];
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  sourceIp: string | null;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditFilter {
  workspaceId?: string;
  actorId?: string;
  /** Exact, or an area with `.*`: `auth.*`. */
  action?: string;
  outcome?: AuditOutcome;
  targetType?: string;
  targetId?: string;
  /** Inclusive. */
  from?: Date | string;
  /** Exclusive. */
  to?: Date | string;
}
export interface AuditQuery extends AuditFilter {
  limit?: number;
  cursor?: string | null;
}

export type AuditVerifyResult =
  | { ok: true; checked: number; head: { seq: number; hash: string } | null }
  | { ok: false; checked: number; firstBad: { seq: number; reason: string } };

export type AuditExportFormat = 'csv' | 'json';
export type AuditListener = (entry: AuditEntry) => void | Promise<void>;

export interface AuditLog {
  /** Appends one entry; listeners hear of it after it is committed. */
  record(entry: AuditEntryInput): Promise<AuditEntry>;
  /** Newest first, keyset-paginated on seq. */
  search(query?: AuditQuery): Promise<Page<AuditEntry>>;
  /** Walks the whole chain oldest first and names the first entry that does not hold. */
  verify(): Promise<AuditVerifyResult>;
  /** Oldest first, streamed in chunks: CSV (RFC 4180, CRLF) or one JSON array. */
  exportRows(format: AuditExportFormat, filter?: AuditFilter): AsyncIterable<string>;
  /** Returns the unsubscribe function. */
  onRecord(listener: AuditListener): () => void;
}

export interface AuditLogOptions {
  logger?: Logger;
  now?: () => Date;
}

export const genesisHash = '0'.repeat(64);

export function createAuditLog(db: SqlDriver, options: AuditLogOptions = {}): AuditLog {
  const listeners = new Set<AuditListener>();
  const now = options.now ?? (() => new Date());
  return {
    async record(input) {
      const parsed = auditEntryInput.safeParse(input);
      if (!parsed.success) {
        throw new PulseError(
          'AUDIT_ENTRY_INVALID',
          `audit entry is not valid: ${z.prettifyError(parsed.error)}`,
          {
            context: { action: (input as { action?: unknown }).action },
          },
        );
      }
      const e = parsed.data;
      const entry = await withTable(() =>
        db.transaction(async (tx) => {
          // Appends are serialised so each one links to the true last entry. This mode lets readers
          // through but conflicts with itself and with any INSERT, even one that bypasses record().
          await tx.exec('LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE');
          const [last] = await tx.query<{ hash: string }>(
            'SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1',
          );
          const [next] = await tx.query<{ seq: unknown }>(
            "SELECT nextval(pg_get_serial_sequence('audit_log', 'seq')) AS seq",
          );
          const unhashed: Omit<AuditEntry, 'hash'> = {
            seq: Number(next!.seq),
            id: randomUUID(),
            workspaceId: e.workspaceId ?? null,
            at: (e.at ?? now()).toISOString(),
            actorType: e.actorType,
            actorId: e.actorId ?? null,
            action: e.action,
            targetType: e.targetType ?? null,
            targetId: e.targetId ?? null,
            sourceIp: e.sourceIp ?? null,
            outcome: e.outcome,
            details: e.details,
            prevHash: last?.hash ?? genesisHash,
          };
          const stored: AuditEntry = { ...unhashed, hash: hashEntry(unhashed) };
          await tx.query(
            `INSERT INTO audit_log (seq, id, workspace_id, at, actor_type, actor_id, action, target_type,
               target_id, source_ip, outcome, details, prev_hash, hash)
             VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14)`,
            [
              stored.seq,
              stored.id,
              stored.workspaceId,
              stored.at,
              stored.actorType,
              stored.actorId,
              stored.action,
              stored.targetType,
              stored.targetId,
              stored.sourceIp,
              stored.outcome,
              JSON.stringify(stored.details),
              stored.prevHash,
              stored.hash,
            ],
          );
          return stored;
        }),
      );
      for (const listener of listeners) {
        // A slow or broken listener (a SIEM that is down) must not hold up or fail the caller.
        Promise.resolve()
          .then(() => listener(entry))
          .catch((err: unknown) =>
            options.logger?.warn({ err, seq: entry.seq }, 'audit listener failed; the entry is stored'),
          );
      }
      return entry;
    },

    async search(query = {}) {
      const limit = Math.min(Math.max(Math.trunc(query.limit ?? 50) || 50, 1), 500);
      const params: unknown[] = [];
      const where = filterClause(query, params);
      if (query.cursor) where.push(`seq < $${params.push(decodeCursor(query.cursor))}`);
      const rows = await withTable(() =>
        db.query<Row>(
          `SELECT * FROM audit_log WHERE ${where.join(' AND ') || 'TRUE'} ORDER BY seq DESC LIMIT ${limit + 1}`,
          params,
        ),
      );
      const items = rows.slice(0, limit).map(toEntry);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? Buffer.from(String(last.seq)).toString('base64url') : null,
      };
    },

    async verify() {
      let prevHash = genesisHash;
      let head: { seq: number; hash: string } | null = null;
      let checked = 0;
      for await (const entry of scan(db, {})) {
        if (entry.prevHash !== prevHash) {
          const reason = head
            ? `prev_hash does not match the hash of entry ${head.seq}: an entry between them was removed, inserted or re-hashed`
            : 'prev_hash of the first entry is not the genesis hash: entries before it were removed';
          return { ok: false, checked, firstBad: { seq: entry.seq, reason } };
        }
        if (hashEntry(entry) !== entry.hash) {
          return {
            ok: false,
            checked,
            firstBad: {
              seq: entry.seq,
              reason: 'contents do not match the stored hash: the entry was changed',
            },
          };
        }
        prevHash = entry.hash;
        head = { seq: entry.seq, hash: entry.hash };
        checked++;
      }
      return { ok: true, checked, head };
    },

    exportRows(format, filter = {}) {
      return format === 'csv' ? exportCsv(db, filter) : exportJson(db, filter);
    },

    onRecord(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

/**
 * SHA-256 over canonical JSON (keys sorted at every depth) of every field and the previous hash.
 * `v` names this recipe, so a future one can be told apart. jsonb reorders keys and PostgreSQL
 * keeps timestamps in microseconds: sorting keys and hashing `at` to the millisecond, as it was
 * written, makes what is read back hash the same as what was written.
 */
export function hashEntry(entry: Omit<AuditEntry, 'hash'>): string {
  const { seq, id, workspaceId, at, actorType, actorId, action, targetType, targetId, sourceIp } = entry;
  const { outcome, details, prevHash } = entry;
  const fields = { v: 1, seq, id, workspaceId, at, actorType, actorId, action, targetType, targetId };
  return createHash('sha256')
    .update(canonicalJson({ ...fields, sourceIp, outcome, details, prevHash }))
    .digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const csvColumns = [
  'seq',
  'id',
  'at',
  'workspace_id',
  'actor_type',
  'actor_id',
  'action',
  'target_type',
  'target_id',
  'source_ip',
  'outcome',
  'details',
  'prev_hash',
  'hash',
] as const;

/** One CSV record per RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
export function toCsvRecord(values: readonly (string | number | null)[]): string {
  return `${values.map((v) => (v === null ? '' : csvField(String(v)))).join(',')}\r\n`;
}

export interface SyslogOptions {
  hostname?: string;
  appName?: string;
  procId?: string;
  /** RFC 5424 facility; 13 is "log audit". */
  facility?: number;
  /** The enterprise number in the SD-ID. 32473 is IANA's example number (RFC 5612). */
  enterpriseId?: number;
}

/**
 * One RFC 5424 line: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`. Severity follows the
 * outcome (success 6 informational, failure 5 notice, denied 4 warning); MSGID is the action; the
 * structured data carries the searchable fields and MSG the whole entry as JSON, escaped to ASCII
 * so it is valid whether or not the receiver expects a BOM.
 */
export function formatSyslog(entry: AuditEntry, options: SyslogOptions = {}): string {
  const severity = { success: 6, failure: 5, denied: 4 }[entry.outcome];
  const pri = (options.facility ?? 13) * 8 + severity;
  const sdParams: [string, string | number | null][] = [
    ['seq', entry.seq],
    ['id', entry.id],
    ['workspace', entry.workspaceId],
    ['actorType', entry.actorType],
    ['actor', entry.actorId],
    ['action', entry.action],
    ['targetType', entry.targetType],
    ['target', entry.targetId],
    ['sourceIp', entry.sourceIp],
    ['outcome', entry.outcome],
    ['hash', entry.hash],
  ];
  const sd = `[audit@${options.enterpriseId ?? 32473}${sdParams
    .filter(([, v]) => v !== null)
    .map(([k, v]) => ` ${k}="${String(v).replace(/["\\\]]/g, '\\$&')}"`)
    .join('')}]`;
  const header = [
    `<${pri}>1`,
    entry.at,
    syslogToken(options.hostname ?? hostname(), 255),
    syslogToken(options.appName ?? 'pulse', 48),
    syslogToken(options.procId ?? String(process.pid), 128),
    syslogToken(entry.action, 32),
  ].join(' ');
  const msg = JSON.stringify(entry).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${header} ${sd} ${msg}`;
}

export interface SiemForwarderOptions {
  /** An http(s) endpoint that accepts POSTed batches. */
  url: string;
  /** json: `{"entries":[…]}`; syslog: RFC 5424 lines separated by \n. */
  format: 'json' | 'syslog';
  /** E.g. the collector's Authorization header. Never logged. */
  headers?: Record<string, string>;
  batchSize?: number;
  flushIntervalMs?: number;
  /** Beyond this many waiting entries the oldest are dropped (and counted): the database keeps them. */
  maxQueue?: number;
  timeoutMs?: number;
  syslog?: SyslogOptions;
  fetch?: typeof fetch;
  logger?: Logger;
}
export interface SiemForwarder {
  /** The listener: `auditLog.onRecord(forwarder.send)`. */
  send(entry: AuditEntry): void;
  /** Delivers what is queued now; stops at the first failed batch, which stays queued. */
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): { delivered: number; dropped: number; failedAttempts: number; queued: number };
}

/**
 * Streams entries to a SIEM in batches, in order, at least once: a failed batch stays at the
 * head of the queue and is retried with backoff (1 s doubling to 60 s). Receivers deduplicate on
 * `id`; the gap left by a long outage is filled from `pulse audit export --from`.
 */
export function createSiemForwarder(options: SiemForwarderOptions): SiemForwarder {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PulseError('AUDIT_SIEM_INVALID', `SIEM url must be http or https, not ${url.protocol}`, {
      hint: 'Point the forwarder at the collector’s HTTP event endpoint.',
    });
  }
  const batchSize = options.batchSize ?? 100;
  const maxQueue = options.maxQueue ?? 10_000;
  const post = options.fetch ?? fetch;
  const queue: AuditEntry[] = [];
  const counts = { delivered: 0, dropped: 0, failedAttempts: 0 };
  let failures = 0;
  let retryAt = 0;
  let inFlight: Promise<void> | null = null;
  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 1000);
  timer.unref();

  async function deliver(batch: AuditEntry[]): Promise<void> {
    const body =
      options.format === 'json'
        ? JSON.stringify({ entries: batch })
        : `${batch.map((e) => formatSyslog(e, options.syslog)).join('\n')}\n`;
    const contentType = options.format === 'json' ? 'application/json' : 'text/plain; charset=utf-8';
    const res = await post(url, {
      method: 'POST',
      headers: { 'content-type': contentType, ...options.headers },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`SIEM answered HTTP ${res.status}`);
  }

  async function drain(): Promise<void> {
    while (queue.length > 0 && Date.now() >= retryAt) {
      const batch = queue.slice(0, batchSize);
      try {
        await deliver(batch);
      } catch (err) {
        counts.failedAttempts++;
        failures++;
        retryAt = Date.now() + Math.min(60_000, 1000 * 2 ** (failures - 1));
        options.logger?.warn(
          { err, endpoint: url.origin, queued: queue.length },
          'audit SIEM delivery failed; will retry',
        );
        return;
      }
      queue.splice(0, batch.length);
      counts.delivered += batch.length;
      failures = 0;
      retryAt = 0;
    }
  }

  function flush(): Promise<void> {
    inFlight ??= drain().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  return {
    send(entry) {
      queue.push(entry);
      if (queue.length > maxQueue) counts.dropped += queue.splice(0, queue.length - maxQueue).length;
      if (queue.length >= batchSize) void flush();
    },
    flush: async () => {
      await inFlight;
      await flush();
    },
    async close() {
      clearInterval(timer);
      await inFlight;
      retryAt = 0;
      await flush();
    },
    stats: () => ({ ...counts, queued: queue.length }),
  };
}

type Row = {
  seq: unknown;
  id: string;
  workspace_id: string | null;
  at: unknown;
  actor_type: AuditEntry['actorType'];
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  source_ip: string | null;
  outcome: AuditOutcome;
  details: unknown;
  prev_hash: string;
  hash: string;
};

function toEntry(r: Row): AuditEntry {
  return {
    seq: Number(r.seq),
    id: r.id,
    workspaceId: r.workspace_id,
    at: new Date(r.at as string).toISOString(),
    actorType: r.actor_type,
    actorId: r.actor_id,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    sourceIp: r.source_ip,
    outcome: r.outcome,
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** WHERE terms for a filter; values go into `params` and are referenced by number. */
function filterClause(filter: AuditFilter, params: unknown[]): string[] {
  const where: string[] = [];
  const eq = (column: string, value: string | undefined) => {
    if (value !== undefined) where.push(`${column} = $${params.push(value)}`);
  };
  eq('workspace_id', filter.workspaceId);
  eq('actor_id', filter.actorId);
  eq('outcome', filter.outcome);
  eq('target_type', filter.targetType);
  eq('target_id', filter.targetId);
  if (filter.action?.endsWith('.*')) {
    const area = filter.action.slice(0, -1).replace(/[\\%_]/g, '\\$&');
    where.push(`action LIKE $${params.push(`${area}%`)}`);
  } else eq('action', filter.action);
  if (filter.from !== undefined)
    where.push(`at >= $${params.push(toInstant(filter.from, 'from'))}::timestamptz`);
  if (filter.to !== undefined) where.push(`at < $${params.push(toInstant(filter.to, 'to'))}::timestamptz`);
  return where;
}

function toInstant(value: Date | string, name: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new PulseError('AUDIT_QUERY_INVALID', `${name} "${String(value)}" is not a date`, {
      hint: 'Use an ISO 8601 date or timestamp, e.g. 2025-01-31 or 2025-01-31T12:00:00Z.',
    });
  }
  return date.toISOString();
}

function decodeCursor(cursor: string): number {
  const seq = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (Number.isSafeInteger(seq) && seq > 0) return seq;
  throw new PulseError('INVALID_CURSOR', 'the pagination cursor is not valid', {
    hint: 'Pass back the nextCursor of the previous page unchanged.',
  });
}

/** Every matching entry oldest first, read in keyset batches so memory stays flat. */
async function* scan(db: SqlDriver, filter: AuditFilter): AsyncGenerator<AuditEntry> {
  const batch = 1000;
  let after = 0;
  for (;;) {
    const params: unknown[] = [after];
    const where = ['seq > $1', ...filterClause(filter, params)];
    const rows = await withTable(() =>
      db.query<Row>(
        `SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${batch}`,
        params,
      ),
    );
    for (const row of rows) yield toEntry(row);
    if (rows.length < batch) return;
    after = Number(rows.at(-1)!.seq);
  }
}

async function* exportCsv(db: SqlDriver, filter: AuditFilter): AsyncGenerator<string> {
  yield toCsvRecord(csvColumns);
  for await (const e of scan(db, filter)) {
    yield toCsvRecord([
      e.seq,
      e.id,
      e.at,
      e.workspaceId,
      e.actorType,
      e.actorId,
      e.action,
      e.targetType,
      e.targetId,
      e.sourceIp,
      e.outcome,
      canonicalJson(e.details),
      e.prevHash,
      e.hash,
    ]);
  }
}

async function* exportJson(db: SqlDriver, filter: AuditFilter): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const e of scan(db, filter)) {
    yield `${first ? '\n' : ',\n'}${JSON.stringify(e)}`;
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** HOSTNAME, APP-NAME, PROCID and MSGID are printable ASCII without spaces, or "-" when empty. */
function syslogToken(value: string, max: number): string {
  return value.replace(/[^\x21-\x7e]/g, '_').slice(0, max) || '-';
}

/** The audit table is created by metadata migration 0002; say so instead of "relation does not exist". */
async function withTable<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') {
      throw new PulseError('AUDIT_LOG_MISSING', 'the audit_log table does not exist', {
        cause: err,
        hint: 'Run `pulse migrate` to apply the metadata migrations.',
      });
    }
    throw err;
  }
}

function cleanText(max: number) {
  return z.string().transform((s) => clean(s, max));
}

function clean(s: string, max = 2000): string {
  const clipped = s.length > max ? `${s.slice(0, max - 1)}…` : s;
  return clipped.toWellFormed().replaceAll('\u0000', '\uFFFD');
}

function cleanJson(value: unknown): unknown {
  if (typeof value === 'string') return clean(value);
  if (Array.isArray(value)) return value.map(cleanJson);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [clean(k, 200), cleanJson(v)]));
  return value;
}
