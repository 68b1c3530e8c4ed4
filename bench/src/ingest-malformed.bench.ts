// Ingest throughput through Kafka with 1% malformed events in the stream, next to a clean stream
// of the same size in the same run (the baseline). Each run gets a fresh broker, so both start
// from empty topics; both go into one warehouse under their own event names. The clock runs from
// the ingester's start until every message is inserted or dead-lettered (the events were produced
// beforehand, so the figure is the ingester's own throughput, dead-lettering included).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pulse/core';
import { startKafka } from '@pulse/infra';
import { createIngester, createKafkaBus, topicFor } from '@pulse/ingest';
import { malformedStream } from '@pulse/ingest/reliability/malformed-stream.fixture';
import { createWarehouse, migrate, type Warehouse } from '@pulse/warehouse';

export async function run(options: { events?: number }): Promise<void> {
  const total = options.events ?? 100_000;
  const root = mkdtempSync(join(tmpdir(), 'pulse-bench-malformed-'));
  const warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'bench',
    cluster: undefined,
    dataPath: join(root, 'wh'),
  });
  await migrate(warehouse);
  const rounds: { label: string; every: number }[] = [
    { label: 'clean', every: Number.POSITIVE_INFINITY },
    { label: '1% malformed', every: 100 },
    { label: 'clean', every: Number.POSITIVE_INFINITY },
    { label: '1% malformed', every: 100 },
  ];
  const rates = new Map<string, number[]>();
  for (const [i, round] of rounds.entries()) {
    const rate = await measure(warehouse, `Bench ${i}`, total, round.every);
    rates.set(round.label, [...(rates.get(round.label) ?? []), rate]);
  }
  await warehouse.close();
  rmSync(root, { recursive: true, force: true });

  const best = (label: string) => Math.max(...rates.get(label)!);
  console.log(
    `ingest-malformed: ${total.toLocaleString('en')} product events per run through a real Kafka broker, 2 runs each, best shown`,
  );
  console.log(
    `  clean stream (baseline)         ${Math.round(best('clean')).toLocaleString('en')} valid events/s`,
  );
  console.log(
    `  1% malformed (dead-lettered)    ${Math.round(best('1% malformed')).toLocaleString('en')} valid events/s  = ${(best('1% malformed') / best('clean')).toFixed(2)}× the clean stream`,
  );
  console.log(
    `  all runs: ${[...rates].map(([l, r]) => `${l} ${r.map((x) => Math.round(x)).join(', ')}`).join('; ')}`,
  );
}

async function measure(warehouse: Warehouse, event: string, total: number, every: number): Promise<number> {
  const kafka = await startKafka();
  const logger = createLogger({ level: 'warn', serviceName: 'bench' });
  const bus = createKafkaBus({ brokers: kafka.brokers, clientId: 'bench', logger });
  try {
    const stream = malformedStream(event.replace(' ', '-'), total, event, every);
    await bus.ensureTopics([{ name: topicFor('product'), partitions: 3 }]);
    for (let i = 0; i < stream.messages.length; i += 5000)
      await bus.produce(topicFor('product'), stream.messages.slice(i, i + 5000));
    const started = performance.now();
    const ingester = await createIngester({ bus, warehouse, logger });
    while (ingester.stats().inserted + ingester.stats().deadLettered < total)
      await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - started) / 1000;
    await ingester.stop();
    if (ingester.stats().inserted !== stream.validCount)
      throw new Error(`inserted ${ingester.stats().inserted}, expected ${stream.validCount}`);
    return stream.validCount / seconds;
  } finally {
    await bus.close();
    await kafka.destroy();
  }
}
