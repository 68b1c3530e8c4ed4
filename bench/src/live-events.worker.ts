// The query bench's live load, generated off the engine's thread: in a deployment events reach
// the engine-owning process already made (by SDKs, webhooks, the bus), so only the insert belongs
// next to the queries being measured. This worker makes demo events and their table rows (the
// ingester's "to row" step); the bench inserts them. It never loads chDB, which dies in threads.
import { parentPort, workerData } from 'node:worker_threads';
import { createSimulator } from '@pulse/ingest/simulator/index';
import { toRows } from '@pulse/warehouse/rows/to-rows';

const { seed, workspace, end } = workerData as { seed: number; workspace: string; end: string };
const simulator = createSimulator({ seed, workspaceId: workspace, days: 90, end: new Date(end) });
const at = new Date(new Date(end).getTime() - 60_000);

/** Each message asks for a batch of N events and is answered with [table, rows][] for them. */
parentPort?.on('message', (count: number) => {
  parentPort?.postMessage([...toRows(simulator.liveEvents(at, count))]);
});
