// The seal job: for every snapshot source that keeps a changes table (0006_sealed_changes.sql),
// compute what its values changed by per UTC hour and dimension for the days that are over, so a
// KPI over 30 days adds up small rows instead of finding every post's value before and inside the
// range; and the distinct people of each finished day, so DAU adds up numbers instead of merging
// a set of people per day. When a day's raw row count no longer matches the count it was sealed with (a late
// snapshot), its month and every later one are recomputed, since a late value moves the changes
// after it.
// Queries never depend on this having run (compile-query.ts reads sealed changes only for days
// whose counts still match), so the job affects speed, not answers.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Warehouse } from '../create-warehouse.ts';
import {
  metricSources,
  type SealedDays,
  type SnapshotChanges,
  type SnapshotSource,
  sealedDayCounts,
} from './sources.ts';

export interface SealResult {
  source: string;
  workspaceId: string;
  /** Days rewritten (0 when everything was sealed already). */
  days: number;
  /** The first day rewritten, `YYYY-MM-DD`. */
  fromDay: string | null;
  ms: number;
}

export interface SealOptions {
  /** Days before this instant's UTC day are sealed (default: now). */
  now?: Date;
  /** Only this workspace (default: every workspace with snapshots). */
  workspaceId?: string;
  logger?: Logger;
}

type Sealed = SnapshotSource & { changes: SnapshotChanges };
export const sealedSources = (): Sealed[] =>
  metricSources.filter((s): s is Sealed => s.kind === 'snapshot' && s.changes !== undefined);

/** One table the job fills: where its day counts come from and how a range's answers are made. */
interface Sealer {
  name: string;
  sealed: SealedDays;
  /** The workspaces that have rows: `SELECT DISTINCT workspace_id AS w …`. */
  workspaces: string;
  /** Inserts the answers for [from, until) into `staging` (named columns). */
  answers(staging: string): string;
}

function sealers(): Sealer[] {
  const changes = sealedSources().map(
    (source): Sealer => ({
      name: source.name,
      sealed: source.changes,
      workspaces: `SELECT DISTINCT workspace_id AS w FROM snapshot_rows_day WHERE source = '${source.name}'`,
      answers: (staging) => {
        const columns = [...Object.keys(source.changes.dimensions), ...Object.keys(source.changes.values)];
        return `INSERT INTO ${staging} (workspace_id, bucket, ${columns.join(', ')}, snapshots) ${changesSelect(source)}`;
      },
    }),
  );
  const daily = metricSources.flatMap((source) =>
    source.kind === 'events'
      ? source.rollups.flatMap((rollup): Sealer[] => {
          const sealed = rollup.sealed;
          const measure = sealed ? rollup.measures[sealed.measure] : undefined;
          if (!sealed || !measure) return [];
          return [
            {
              name: rollup.table,
              sealed,
              workspaces: `SELECT DISTINCT workspace_id AS w FROM ${rollup.table}`,
              answers: (staging) =>
                `INSERT INTO ${staging} (workspace_id, bucket, ${sealed.column})
                 SELECT workspace_id, bucket, ${measure.merge}(${measure.column}) FROM ${rollup.table}
                 WHERE workspace_id = {workspace:String} AND bucket >= {from:DateTime('UTC')} AND bucket < {until:DateTime('UTC')}
                 GROUP BY workspace_id, bucket`,
            },
          ];
        })
      : [],
  );
  return [...changes, ...daily];
}

const toParamTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
const dayStart = (d: Date) => new Date(Math.floor(d.getTime() / 86_400_000) * 86_400_000);

async function rows<T>(warehouse: Warehouse, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await warehouse.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

/** Each UTC day before `until` with rows now or a seal: its rows now (n) and when sealed (s). */
async function dayCounts(
  warehouse: Warehouse,
  sealer: Sealer,
  params: Record<string, unknown>,
): Promise<{ day: string; n: string; s: string }[]> {
  return rows(
    warehouse,
    `SELECT toString(toDate(bucket)) AS day, n, s
     FROM (${sealedDayCounts(sealer.sealed, "bucket < {until:DateTime('UTC')}")}) ORDER BY bucket`,
    params,
  );
}

/**
 * The changes of one source and workspace for [from, until): each entity's latest dimensions and
 * values per hour (its latest before `from` as the starting point), the difference to the hour
 * before, and a pair of rows (old group −previous, new group +current) when its dimensions moved.
 */
function changesSelect(source: Sealed): string {
  const dims = Object.entries(source.changes.dimensions);
  const values = Object.entries(source.changes.values).map(([name, type]) => {
    const sql = source.values[name];
    if (!sql) throw new Error(`changes of ${source.name} name unknown value "${name}"`);
    return { name, type, sql };
  });
  const t = source.time;
  const epoch = "toDateTime(0, 'UTC')";
  const dimTuple = `tuple(${dims.map(([, col]) => `toString(${col})`).join(', ')})`;
  const latest =
    `SELECT ${source.entity} AS __e, if(${t} < {from:DateTime('UTC')}, ${epoch}, toStartOfHour(${t})) AS __h, ` +
    `argMax(${dimTuple}, ${t}) AS __d, ` +
    values.map((v, i) => `argMax(CAST(${v.sql} AS ${v.type}), ${t}) AS __v${i}`).join(', ') +
    ` FROM ${source.from} WHERE workspace_id = {workspace:String} AND ${t} < {until:DateTime('UTC')}` +
    ` AND ${source.entity} IN (SELECT ${source.entity} FROM ${source.from} WHERE workspace_id = {workspace:String}` +
    ` AND ${t} >= {from:DateTime('UTC')} AND ${t} < {until:DateTime('UTC')})` +
    ' GROUP BY __e, __h';
  const w = 'OVER (PARTITION BY __e ORDER BY __h ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)';
  const withPrevious =
    `SELECT __h, __d, ${values.map((_, i) => `__v${i}`).join(', ')}, ` +
    `row_number() ${w} = 1 AS __first, lagInFrame(__d) ${w} AS __pd, ` +
    values.map((v, i) => `lagInFrame(__v${i}, 1, CAST(0 AS ${v.type})) ${w} AS __p${i}`).join(', ') +
    ` FROM (${latest})`;
  const same = `[tuple(__d, ${values.map((_, i) => `__v${i} - __p${i}`).join(', ')}, toUInt64(1))]`;
  const moved =
    `[tuple(__pd, ${values.map((_, i) => `-__p${i}`).join(', ')}, toUInt64(0)), ` +
    `tuple(__d, ${values.map((_, i) => `__v${i}`).join(', ')}, toUInt64(1))]`;
  const exploded =
    `SELECT __h, arrayJoin(if(__first OR __d = __pd, ${same}, ${moved})) AS __x` +
    ` FROM (${withPrevious}) WHERE __h != ${epoch}`;
  const dimCols = dims.map(([name], i) => `tupleElement(tupleElement(__x, 1), ${i + 1}) AS ${name}`);
  const valueCols = values.map((v, i) => `sum(tupleElement(__x, ${i + 2})) AS ${v.name}`);
  return (
    `SELECT {workspace:String} AS workspace_id, __h AS bucket, ${[...dimCols, ...valueCols].join(', ')}, ` +
    `sum(tupleElement(__x, ${values.length + 2})) AS snapshots FROM (${exploded}) GROUP BY bucket, ${dims.map(([n]) => n).join(', ')}`
  );
}

/** Seals one table of one workspace; returns how many days were rewritten. */
async function sealOne(
  warehouse: Warehouse,
  sealer: Sealer,
  workspaceId: string,
  until: Date,
): Promise<{ days: number; fromDay: string | null }> {
  const table = sealer.sealed.table;
  const params = { workspace: workspaceId, until: toParamTime(until) };
  const counts = await dayCounts(warehouse, sealer, params);
  const first = counts.find((c) => c.n !== c.s);
  if (!first) return { days: 0, fromDay: null };
  // Partitions are months: recompute from the start of the first differing day's month.
  const fromMonth = first.day.slice(0, 7);
  const days = counts.filter((c) => c.day.slice(0, 7) >= fromMonth);
  const months = new Map<string, number>();
  for (const d of days) {
    const month = d.day.slice(0, 7).replace('-', '');
    months.set(month, (months.get(month) ?? 0) + Number(d.n));
  }
  const from = `${fromMonth}-01 00:00:00`;
  const staging = `${table}_seal_${randomBytes(6).toString('hex')}`;
  const run = (query: string, extra: Record<string, unknown> = {}) =>
    warehouse.client.command({ query, query_params: { ...params, from, ...extra } });
  await run(`CREATE TABLE ${staging} AS ${table}`);
  try {
    // The counts first: a row inserted while the changes are computed makes its day differ, so
    // queries keep computing that day from the rollups until the next run seals it.
    await run(
      `INSERT INTO ${staging} (workspace_id, bucket, sealed_rows)
       SELECT {workspace:String}, bucket, sum(n) FROM (${sealer.sealed.rows})
       WHERE bucket >= {from:DateTime('UTC')} AND bucket < {until:DateTime('UTC')}
       GROUP BY bucket HAVING sum(n) > 0`,
    );
    await run(sealer.answers(staging));
    // Latest month first: until the earliest is replaced its counts still differ, so no query
    // reads a later month's new changes next to an earlier month's old ones.
    for (const [month, n] of [...months].reverse()) {
      if (n > 0) await run(`ALTER TABLE ${table} REPLACE PARTITION ID '${month}' FROM ${staging}`);
      else await run(`ALTER TABLE ${table} DROP PARTITION ID '${month}'`);
    }
  } finally {
    await run(`DROP TABLE IF EXISTS ${staging}`);
  }
  return { days: days.length, fromDay: `${fromMonth}-01` };
}

/**
 * Seals the finished UTC days (before `now`'s) of every sealed table — snapshot changes and daily
 * distinct people — for every workspace (or one). Cheap when nothing changed: one small query per
 * table and workspace. Not run on a cluster (the sealed tables are not sharded); queries there
 * compute every day from rollups.
 */
export async function sealFinishedDays(
  warehouse: Warehouse,
  options: SealOptions = {},
): Promise<SealResult[]> {
  if (warehouse.cluster) return [];
  const until = dayStart(options.now ?? new Date());
  const results: SealResult[] = [];
  for (const sealer of sealers()) {
    const workspaces = options.workspaceId
      ? [options.workspaceId]
      : (await rows<{ w: string }>(warehouse, sealer.workspaces, {})).map((r) => r.w);
    for (const workspaceId of workspaces) {
      const started = performance.now();
      const { days, fromDay } = await sealOne(warehouse, sealer, workspaceId, until);
      const ms = Math.round(performance.now() - started);
      if (days > 0)
        options.logger?.info({ table: sealer.sealed.table, workspaceId, days, fromDay, ms }, 'sealed days');
      results.push({ source: sealer.name, workspaceId, days, fromDay, ms });
    }
  }
  return results;
}

export interface SealSchedule {
  /** Runs now (or joins the run in progress). */
  run(): Promise<void>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/** Seals at start and then every `intervalMs` (default 10 minutes); failures are logged. */
export function startSealSchedule(
  warehouse: Warehouse,
  options: { logger?: Logger; intervalMs?: number } = {},
): SealSchedule {
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    running ??= sealFinishedDays(warehouse, { logger: options.logger })
      .then(() => undefined)
      .catch((err: unknown) =>
        options.logger?.error({ err }, 'sealing changes failed; retrying on the next tick'),
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  void run();
  const timer = setInterval(run, options.intervalMs ?? 600_000);
  timer.unref();
  return {
    run,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
