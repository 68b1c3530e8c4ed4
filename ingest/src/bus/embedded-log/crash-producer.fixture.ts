// Test fixture: produces numbered batches to an embedded log forever, printing the number of each
// batch once produce() resolved (acknowledged). The test kills this process with SIGKILL.
import { createEmbeddedBus } from './embedded-bus.ts';

const dataPath = process.argv[2]!;
const run = process.argv[3]!;
const bus = await createEmbeddedBus({ dataPath });
await bus.ensureTopics([{ name: 'events', partitions: 3 }]);
for (let batch = 0; ; batch++) {
  const messages = Array.from({ length: 50 }, (_, i) => ({
    key: `k${(batch * 50 + i) % 17}`,
    value: Buffer.from(JSON.stringify({ run, batch, i })),
    headers: { run, batch: String(batch) },
    timestamp: Date.now(),
  }));
  await bus.produce('events', messages);
  process.stdout.write(`${batch}\n`);
}
