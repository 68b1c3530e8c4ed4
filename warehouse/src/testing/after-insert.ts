// Test helper: a warehouse that runs a hook after each insert has landed and before the caller
// hears of it — to simulate a lost acknowledgement (throw) or a process frozen between the insert
// and its offset commit (await). It covers both insert paths: JSONEachRow through the client (a
// server) and TabSeparated through chDB's native insert (embedded).
import type { Warehouse } from '../create-warehouse.ts';

export type AfterInsert = (insert: { table: string; token: string | undefined }) => Promise<void> | void;

export function afterEachInsert(warehouse: Warehouse, hook: AfterInsert): Warehouse {
  const client = new Proxy(warehouse.client, {
    get(target, prop, receiver) {
      if (prop !== 'insert') return Reflect.get(target, prop, receiver);
      return async (params: Parameters<Warehouse['client']['insert']>[0]) => {
        const result = await target.insert(params);
        const token = params.clickhouse_settings?.insert_deduplication_token;
        await hook({ table: params.table, token: token === undefined ? undefined : String(token) });
        return result;
      };
    },
  });
  const { insertTabSeparated } = warehouse;
  return {
    ...warehouse,
    client,
    ...(insertTabSeparated
      ? {
          insertTabSeparated: async (...args: Parameters<typeof insertTabSeparated>) => {
            await insertTabSeparated(...args);
            const token = args[3].insert_deduplication_token;
            await hook({ table: args[0], token: token === undefined ? undefined : String(token) });
          },
        }
      : {}),
  };
}
