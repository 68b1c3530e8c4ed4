import { Command, InvalidArgumentError, Option } from 'commander';
import { createMetadataStore, loadConfig, type MetadataStore, PulseError } from '@pulse/core';
import { createAuditLog } from '@pulse/core/audit/index';
import { type PrivacyRequest, privacyRequestsRepository } from '@pulse/core/privacy/index';
import { createWarehouse, type Warehouse } from '@pulse/warehouse';
import {
  applyRetention,
  processPrivacyRequest,
  subjectOf,
  verifyErasure,
} from '@pulse/warehouse/privacy/index';

type Env = Record<string, string | undefined>;

/** The engines a privacy command works on; tests hand in their own. */
export interface PrivacyCommandDeps {
  warehouse: Warehouse;
  metadata: MetadataStore;
  print?: (line: string) => void;
}

export interface PrivacyEraseOptions {
  workspace: string;
  userId?: string;
  email?: string;
}

/**
 * `pulse privacy erase | verify | retention`. Like `pulse audit`, subcommands throw instead of
 * exiting, so cli.ts maps usage errors to exit code 2 and a failed verification to 1.
 */
export function privacyCommand(env: Env = process.env): Command {
  const privacy = new Command('privacy')
    .description('data-subject erasure and its verification, and retention of raw events')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  privacy
    .command('erase')
    .description(
      'erase a data subject from every warehouse table of a workspace, rebuild the rollups, and verify',
    )
    .requiredOption('--workspace <id>', 'the workspace the subject belongs to')
    .addOption(
      new Option('--user-id <id>', 'product user id, social author id or CRM contact id').conflicts('email'),
    )
    .addOption(
      new Option('--email <address>', 'e-mail address (finds linked user ids and CRM contacts)').argParser(
        toEmail,
      ),
    )
    .addHelpText(
      'after',
      '\nThe request is kept in the privacy ledger with the rows removed per table.\n' +
        'Exit code 0 when the verification finds nothing left, 1 otherwise.\n' +
        'Example: pulse privacy erase --workspace 7f0c… --email ada@example.com',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .action((options: PrivacyEraseOptions) =>
      withEngines(env, async (deps) => {
        await runPrivacyErase(deps, options);
      }),
    );

  privacy
    .command('verify')
    .description('re-run the zero-rows check of completed erasures (all, one workspace, or one request)')
    .option('--workspace <id>', 'only this workspace')
    .option('--request <id>', 'only this request')
    .addHelpText(
      'after',
      '\nExit code 0 when no erased subject has rows again (a replay from the bus could bring them back), 1 otherwise.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .action((options: { workspace?: string; request?: string }) =>
      withEngines(env, async (deps) => {
        await runPrivacyVerify(deps, options);
      }),
    );

  privacy
    .command('retention')
    .description('drop the months of raw events older than PULSE_RETENTION_{PRODUCT,SOCIAL,CRM}_DAYS now')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .action(() =>
      withEngines(env, async ({ warehouse, print = console.log }) => {
        const { dropped } = await applyRetention(warehouse, loadConfig(env).retention);
        print(
          dropped.length === 0
            ? 'Nothing to drop.'
            : dropped.map((d) => `dropped ${d.table} ${d.partition}`).join('\n'),
        );
      }),
    );

  return privacy;
}

export async function runPrivacyErase(
  deps: PrivacyCommandDeps,
  options: PrivacyEraseOptions,
): Promise<PrivacyRequest> {
  const print = deps.print ?? console.log;
  if (!options.userId === !options.email)
    throw new PulseError(
      'PRIVACY_SUBJECT_INVALID',
      'name the data subject with --user-id or --email (one of them)',
      {
        hint: 'Example: pulse privacy erase --workspace <id> --email ada@example.com',
      },
    );
  const requests = privacyRequestsRepository(deps.metadata.db);
  const audit = createAuditLog(deps.metadata.db);
  const request = await requests.create({
    workspaceId: options.workspace,
    kind: 'erasure',
    subjectType: options.email ? 'email' : 'user_id',
    subject: (options.email ?? options.userId)!,
    requestedBy: 'cli',
  });
  await audit.record({
    workspaceId: options.workspace,
    actorType: 'system',
    actorId: 'cli',
    action: 'privacy.erasure_requested',
    targetType: 'privacy_request',
    targetId: request.id,
    outcome: 'success',
  });
  const done = await processPrivacyRequest({ warehouse: deps.warehouse, requests, audit }, request);
  if (done.status !== 'completed')
    throw new PulseError('PRIVACY_ERASURE_FAILED', `erasure ${done.id} failed: ${done.error}`, {
      hint: 'Fix the cause and run the same command again: erasure is idempotent.',
    });
  print(`Erasure ${done.id} completed.`);
  for (const [table, n] of Object.entries(done.tableCounts)) print(`  ${table}: ${n} rows removed`);
  for (const [rollup, days] of Object.entries(done.rebuilt))
    print(`  ${rollup}: ${days.length} days rebuilt`);
  if (done.verification?.ok !== true)
    throw new PulseError('PRIVACY_VERIFICATION_FAILED', `erasure ${done.id} did not verify`, {
      context: { verification: done.verification },
      hint: 'Run `pulse privacy verify --request <id>` to see which table still holds rows.',
    });
  print('  verified: no rows of the subject remain');
  return done;
}

/** Verifies each completed erasure again; throws when any subject has rows again. */
export async function runPrivacyVerify(
  deps: PrivacyCommandDeps,
  options: { workspace?: string; request?: string },
): Promise<{ checked: number; failed: string[] }> {
  const print = deps.print ?? console.log;
  const requests = privacyRequestsRepository(deps.metadata.db);
  const erasures = options.request
    ? [await requests.getAny(options.request)].filter((r): r is PrivacyRequest => r !== undefined)
    : await allCompletedErasures(requests, options.workspace ?? null);
  if (options.request && erasures.length === 0)
    throw new PulseError('PRIVACY_REQUEST_NOT_FOUND', `no privacy request ${options.request}`, {
      hint: 'GET /api/v1/privacy/requests lists them.',
    });
  const failed: string[] = [];
  for (const r of erasures.filter((e) => e.kind === 'erasure' && e.status === 'completed')) {
    const verification = await verifyErasure(deps.warehouse, r.workspaceId, subjectOf(r), r.rebuilt);
    await requests.recordVerification(r.id, { ...verification });
    const left = Object.entries(verification.remaining).filter(([, n]) => n > 0);
    if (verification.ok) print(`ok      ${r.id} (workspace ${r.workspaceId})`);
    else {
      failed.push(r.id);
      print(
        `FAILED  ${r.id} (workspace ${r.workspaceId}): ${[
          ...left.map(([t, n]) => `${t} has ${n} rows`),
          ...verification.rollupMismatches.map((m) => `${m.rollup} ${m.day} ${m.measure} differs from raw`),
        ].join(', ')}`,
      );
    }
  }
  if (failed.length > 0)
    throw new PulseError('PRIVACY_VERIFICATION_FAILED', `${failed.length} erasure(s) no longer verify`, {
      context: { requests: failed },
      hint: 'Run `pulse privacy erase` again for each: rows came back (a replay, a late delivery).',
    });
  print(`${erasures.length} erasure(s) verified.`);
  return { checked: erasures.length, failed };
}

async function allCompletedErasures(
  requests: ReturnType<typeof privacyRequestsRepository>,
  workspaceId: string | null,
): Promise<PrivacyRequest[]> {
  const out: PrivacyRequest[] = [];
  let cursor: string | null = null;
  do {
    const page = await requests.list(workspaceId, {
      kind: 'erasure',
      status: 'completed',
      limit: 500,
      cursor,
    });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

async function withEngines<T>(env: Env, run: (deps: PrivacyCommandDeps) => Promise<T>): Promise<T> {
  const config = loadConfig(env);
  const metadata = await createMetadataStore(config.metadata);
  try {
    const warehouse = await createWarehouse(config.warehouse);
    try {
      return await run({ warehouse, metadata });
    } finally {
      await warehouse.close();
    }
  } finally {
    await metadata.close();
  }
}

function toEmail(value: string): string {
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value))
    throw new InvalidArgumentError(`expected an e-mail address such as ada@example.com, got "${value}"`);
  return value.toLowerCase();
}
