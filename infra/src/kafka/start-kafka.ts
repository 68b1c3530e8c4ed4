import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PulseError } from '@pulse/core';
import { freePort } from '../free-port.ts';

export interface LocalKafka {
  /** Bootstrap servers, loopback only: ['127.0.0.1:PORT']. */
  brokers: string[];
  dataDir: string;
  /** Stops the broker gracefully (SIGTERM, SIGKILL after 20 s). */
  stop(): Promise<void>;
  /** Stops and starts it again on the same port and log directory: data survives. */
  restart(): Promise<void>;
  /** kill -9, as a crash. */
  kill(): Promise<void>;
  /** Stops it and deletes the log directory when it was a temporary one. */
  destroy(): Promise<void>;
}

const kafkaDir = fileURLToPath(new URL('../../kafka/', import.meta.url));
const libDir = join(kafkaDir, 'lib');

/**
 * Starts a real Apache Kafka broker (KRaft, single node: broker and controller in one JVM) on
 * loopback, from the jars `infra/kafka/fetch-kafka.sh` fetched from Maven Central, on the
 * installed Java. For tests and local full-stack runs.
 */
export async function startKafka(
  options: { dataDir?: string; port?: number; partitions?: number } = {},
): Promise<LocalKafka> {
  if (!existsSync(libDir) || !readdirSync(libDir).some((f) => f.startsWith('kafka_2.13'))) {
    throw new PulseError('KAFKA_NOT_FETCHED', 'the Kafka broker jars are not in infra/kafka/lib', {
      hint: 'Run `bash infra/kafka/fetch-kafka.sh` (npm test does).',
    });
  }
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'pulse-kafka-'));
  mkdirSync(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const controllerPort = await freePort();
  const config = join(dataDir, 'server.properties');
  writeFileSync(
    config,
    serverProperties({ dataDir, port, controllerPort, partitions: options.partitions ?? 3 }),
  );
  if (!existsSync(join(dataDir, 'logs', 'meta.properties'))) {
    java(['kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', config, '--standalone'], dataDir);
  }

  let child: ChildProcess | undefined;
  const start = async () => {
    const logFile = join(dataDir, 'broker.log');
    child = spawn('java', [...jvmArgs(logFile), 'kafka.Kafka', config], { stdio: 'ignore', detached: false });
    await waitForPort(
      port,
      60_000,
      () => `the Kafka broker did not open 127.0.0.1:${port} within 60 s:\n${tail(logFile)}`,
    );
  };
  const stop = async (signal: NodeJS.Signals) => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  await start();

  return {
    brokers: [`127.0.0.1:${port}`],
    dataDir,
    stop: () => stop('SIGTERM'),
    async restart() {
      await stop('SIGTERM');
      await start();
    },
    kill: () => stop('SIGKILL'),
    async destroy() {
      await stop('SIGTERM');
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function serverProperties(o: {
  dataDir: string;
  port: number;
  controllerPort: number;
  partitions: number;
}): string {
  return `# Written by infra/src/kafka/start-kafka.ts: one node is broker and controller, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:${o.controllerPort}
listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${o.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${join(o.dataDir, 'logs')}
num.partitions=${o.partitions}
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
`;
}

/** A small heap and serial GC: the broker shares two cores with everything else in a test run. */
function jvmArgs(logFile: string): string[] {
  return [
    '-Xms128m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Dlog4j2.configurationFile=${join(kafkaDir, 'log4j2.properties')}`,
    `-Dkafka.log.file=${logFile}`,
    '-cp',
    `${libDir}/*`,
  ];
}

/**
 * A random KRaft cluster id (16 bytes, base64url). Never one starting with '-': the storage tool's
 * argument parser would take it for an option (about 1 start in 64 failed that way), which is
 * also why Kafka's own Uuid.randomUuid skips such ids.
 */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function java(args: string[], dataDir: string): void {
  execFileSync('java', [...jvmArgs(join(dataDir, 'tools.log')), ...args], { stdio: 'pipe' });
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-20).join('\n') : '(no broker log)';
}

async function waitForPort(port: number, timeoutMs: number, failure: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((r) => setTimeout(r, 200));
  }
}
