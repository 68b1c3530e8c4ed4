// Starts a local Apache Kafka broker for a full-stack run: `node infra/kafka/run-local-kafka.ts
// [--port 9092] [--data-dir ./data/kafka]`. Fetches the jars first when missing; Ctrl-C stops it.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startKafka } from '../src/kafka/start-kafka.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9092' },
    'data-dir': { type: 'string', default: './data/kafka' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(
    'usage: node infra/kafka/run-local-kafka.ts [--port 9092] [--data-dir ./data/kafka]\n\nStarts Apache Kafka (KRaft, one node) on 127.0.0.1 and prints KAFKA_BROKERS for Pulse.',
  );
  process.exit(0);
}
execFileSync('bash', [fileURLToPath(new URL('./fetch-kafka.sh', import.meta.url))], { stdio: 'inherit' });
const kafka = await startKafka({ port: Number(values.port), dataDir: resolve(values['data-dir']) });
console.log(
  `Kafka is up. Start Pulse with:\n\n  KAFKA_BROKERS=${kafka.brokers.join(',')} npm start\n\nCtrl-C stops the broker (data stays in ${kafka.dataDir}).`,
);
const stop = async () => {
  await kafka.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
