import { mkdirSync } from 'node:fs';
import type { PoolClient } from 'pg';
import { PulseError } from '../errors/index.ts';

/** The little SQL the metadata store needs, implemented on PGlite and on node-postgres alike. */
export interface SqlDriver {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openPglite(dataPath: string): Promise<SqlDriver> {
  mkdirSync(dataPath, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataPath);
  type Tx = Pick<typeof db, 'query' | 'exec'>;
  const wrap = (conn: Tx): Omit<SqlDriver, 'transaction' | 'close'> => ({
    query: async <T>(sql: string, params?: unknown[]) => (await conn.query<T>(sql, params)).rows,
    exec: async (sql) => {
      await conn.exec(sql);
    },
  });
  const driver: SqlDriver = {
    ...wrap(db),
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({ ...wrap(tx), transaction: (inner) => inner(driver), close: async () => {} }),
      ),
    close: () => db.close(),
  };
  return driver;
}

export async function openPostgres(url: string): Promise<SqlDriver> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end();
    throw new PulseError(
      'METADATA_UNAVAILABLE',
      `could not connect to PostgreSQL: ${(err as Error).message}`,
      {
        retriable: true,
        cause: err,
        hint: 'Check DATABASE_URL and that the server accepts connections; unset DATABASE_URL to use embedded PGlite.',
      },
    );
  }
  const clientDriver = (client: PoolClient): SqlDriver => ({
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    exec: async (sql) => {
      await client.query(sql);
    },
    transaction: (fn) => fn(clientDriver(client)),
    close: async () => {},
  });
  return {
    query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T[],
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(clientDriver(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
