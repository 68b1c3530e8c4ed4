#!/usr/bin/env node
// The `pulse` command. Exit codes scripts can rely on (also in README.md#cli):
//   0 success · 1 unexpected failure · 2 usage error · 3 invalid configuration
//   4 a dependency (warehouse, metadata store, bus) is unavailable · 5 a migration was refused
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { isPulseError } from '@pulse/core';
import { auditCommand } from './commands/audit.command.ts';
import { privacyCommand } from './commands/privacy.command.ts';
import { secretsCommand } from './commands/secrets.command.ts';
import { runCollector } from './commands/collector.command.ts';
import { runMigrate } from './commands/migrate.command.ts';
import { runSeal } from './commands/seal.command.ts';
import { runSeed } from './commands/seed.command.ts';
import { runStart } from './commands/start.command.ts';

export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  unavailable: 4,
  migrationRefused: 5,
} as const;

const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const program = new Command('pulse')
  .description('Pulse — observability-first analytics and BI for social, CRM and product data')
  .version(version, '-v, --version', 'print the version')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

program
  .command('start')
  .description('start every role in one process: collector, ingester, dashboard, API, health and metrics')
  .addHelpText(
    'after',
    '\nConfiguration comes from the environment: see README.md#configuration.\nExample: PULSE_PORT=8080 PULSE_DEMO=off pulse start',
  )
  .action(() => runStart(process.env));

program
  .command('collector')
  .description(
    'run only the collector role (Segment-compatible and native endpoints, /healthz, /metrics), to scale it out beside `pulse start`',
  )
  .addHelpText(
    'after',
    '\nNeeds the shared bus and metadata store: KAFKA_BROKERS and DATABASE_URL (the embedded log and PGlite serve one process).\nExample: KAFKA_BROKERS=127.0.0.1:9092 DATABASE_URL=postgres://pulse@127.0.0.1/pulse PULSE_PORT=8081 pulse collector',
  )
  .action(() => runCollector(process.env));

program
  .command('migrate')
  .description('apply pending warehouse and metadata migrations (a second run changes nothing)')
  .option('--status', 'list applied and pending migrations without applying any')
  .action((options: { status?: boolean }) => runMigrate(process.env, options));

program
  .command('seed')
  .description('load demo history into the warehouse with the deterministic simulator')
  .option('--days <n>', 'days of history (default: PULSE_DEMO_DAYS)', toInteger)
  .option('--seed <n>', 'simulator seed (default: PULSE_DEMO_SEED)', toInteger)
  .option('--events <n>', 'approximate number of events to generate (scales the simulator)', toInteger)
  .action((options: { days?: number; seed?: number; events?: number }) => runSeed(process.env, options));

program
  .command('seal')
  .description(
    'seal finished UTC days now (pulse start does it every 10 minutes): the hourly changes of post totals and deal amounts, and daily distinct people',
  )
  .option('--workspace <id>', 'only this workspace (default: every workspace with events)')
  .addHelpText(
    'after',
    '\nQueries are exact whether or not days are sealed; sealed days make 30-day KPI tiles fast.\nExample: pulse seed --days 90 && pulse seal',
  )
  .action((options: { workspace?: string }) => runSeal(process.env, options));

program.addCommand(auditCommand());
program.addCommand(privacyCommand());
program.addCommand(secretsCommand());

program
  .command('version')
  .description('print the version')
  .action(() => console.log(version));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeFor(err);
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
      ? exitCodes.ok
      : exitCodes.usage;
  }
  if (isPulseError(err)) {
    console.error(`pulse: ${err.message}${err.hint ? `\nhint: ${err.hint}` : ''}`);
    if (err.code === 'CONFIG_INVALID') return exitCodes.config;
    if (err.code.startsWith('MIGRATION_')) return exitCodes.migrationRefused;
    if (err.retriable || err.code.endsWith('_UNAVAILABLE')) return exitCodes.unavailable;
    return exitCodes.failure;
  }
  console.error('pulse: unexpected failure', err);
  return exitCodes.failure;
}

function toInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}
