import { mkdirSync } from 'node:fs';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import type { WarehouseConfig } from '@pulse/core';
import { createEmbeddedRawOutput, createServerRawOutput, type RawOutput } from './raw-output.ts';
import { translateWarehouseError } from './translate-error.ts';

export interface Warehouse {
  client: ClickHouseClient;
  mode: 'embedded' | 'server';
  database: string;
  cluster: string | undefined;
  /** Streams or files a result in an engine format (CSV, Parquet), for exports too large to parse. */
  raw: RawOutput;
  /**
   * Embedded only: hands a TabSeparated payload straight to chDB's native parser, without the
   * SQL-text round trip `client.insert` takes there (~3.5 µs less per event on a 12,000-row insert
   * of product events, a quarter of its cost; bench/README.md). Settings apply to this insert only.
   */
  insertTabSeparated?: (
    table: string,
    columns: readonly string[],
    body: string,
    settings: Record<string, string | number>,
  ) => Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The warehouse client: `@clickhouse/client` on the embedded chDB engine (data under
 * `config.dataPath`) when no URL is configured, else on the ClickHouse server at `config.url`.
 * Both speak the same SQL; this is the only place that looks at the mode.
 */
export async function createWarehouse(config: WarehouseConfig): Promise<Warehouse> {
  const mode = config.url === undefined ? 'embedded' : 'server';
  const embedded = mode === 'embedded' ? await embeddedClient(config) : undefined;
  const client = embedded ? embedded.client : await serverClient(config);
  return {
    client,
    mode,
    ...(embedded ? { insertTabSeparated: embedded.insertTabSeparated } : {}),
    database: config.database,
    cluster: config.cluster,
    raw:
      mode === 'embedded'
        ? await createEmbeddedRawOutput(config.dataPath, config.database)
        : createServerRawOutput(client),
    async ping() {
      try {
        await client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json());
        return true;
      } catch {
        return false;
      }
    },
    close: () => client.close(),
  };
}

async function embeddedClient(
  config: WarehouseConfig,
): Promise<{ client: ClickHouseClient; insertTabSeparated: NonNullable<Warehouse['insertTabSeparated']> }> {
  mkdirSync(config.dataPath, { recursive: true });
  // Loaded lazily: importing chDB loads the engine, which only the process that serves may do.
  const { createChdbConnection } = await import('chdb/connection');
  const connection = createChdbConnection({ path: config.dataPath });
  const client = createClient({ connection } as Parameters<typeof createClient>[0]);
  const insertTabSeparated: NonNullable<Warehouse['insertTabSeparated']> = async (
    table,
    columns,
    body,
    settings,
  ) => {
    await connection.chdb.rawInsert({ table, columns, values: body, format: 'TabSeparated', settings });
  };
  try {
    // chDB keeps one session per process and ignores the client's `database` option; USE sticks
    // to the session, so unqualified table names resolve to Pulse's database as on a server.
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(config.database)}` });
    await client.command({ query: `USE ${quoteIdentifier(config.database)}` });
  } catch (err) {
    throw translateWarehouseError(
      err,
      'WAREHOUSE_UNAVAILABLE',
      `could not open the embedded warehouse at ${config.dataPath}`,
    );
  }
  return { client, insertTabSeparated };
}

async function serverClient(config: WarehouseConfig): Promise<ClickHouseClient> {
  const common = {
    url: config.url,
    username: config.user,
    password: config.password,
    request_timeout: 60_000,
  };
  const bootstrap = createClient(common);
  try {
    const onCluster = config.cluster ? ` ON CLUSTER ${quoteIdentifier(config.cluster)}` : '';
    await bootstrap.command({
      query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(config.database)}${onCluster}`,
    });
  } catch (err) {
    throw translateWarehouseError(
      err,
      'WAREHOUSE_UNAVAILABLE',
      `could not reach ClickHouse at ${config.url}`,
    );
  } finally {
    await bootstrap.close();
  }
  return createClient({ ...common, database: config.database });
}

/** Database and cluster names come from config, never from requests; quoting still guards typos. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;
}
