import { once } from 'node:events';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createMetadataStore, loadConfig, PulseError } from '@pulse/core';
import { type AuditExportFormat, type AuditFilter, createAuditLog } from '@pulse/core/audit/index';

export interface AuditExportOptions {
  format: AuditExportFormat;
  from?: string;
  to?: string;
  workspace?: string;
  actor?: string;
  action?: string;
  outcome?: 'success' | 'failure' | 'denied';
}

/**
 * `pulse audit verify | export`. The subcommands throw CommanderError instead of exiting, like
 * the rest of `pulse`, so cli.ts maps usage errors to exit code 2 and a broken chain to 1.
 */
export function auditCommand(env: Record<string, string | undefined> = process.env): Command {
  const audit = new Command('audit')
    .description('check and export the tamper-evident audit log (sign-ins, permission changes, exports, …)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  audit
    .command('verify')
    .description('recompute the hash chain and report the first entry that was changed, removed or reordered')
    .addHelpText(
      'after',
      '\nExit code 0 when every entry holds, 1 naming the first bad entry (seq) and why.\n' +
        'Keep the printed head hash elsewhere: the chain alone cannot show that the newest entries were cut off.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .action(() => runAuditVerify(env));

  audit
    .command('export')
    .description('write audit entries to stdout, oldest first, with their hashes so a copy can be verified')
    .addOption(
      new Option('--format <format>', 'csv (RFC 4180) or json (one array)')
        .choices(['csv', 'json'])
        .default('csv'),
    )
    .option('--from <date>', 'entries at or after this ISO date or timestamp', toIsoDate)
    .option('--to <date>', 'entries before this ISO date or timestamp', toIsoDate)
    .option('--workspace <id>', 'only this workspace')
    .option('--actor <id>', 'only this actor (user id, key id or service)')
    .option('--action <action>', 'only this action, or an area such as auth.*')
    .addOption(
      new Option('--outcome <outcome>', 'only this outcome').choices(['success', 'failure', 'denied']),
    )
    .addHelpText(
      'after',
      '\nExample: pulse audit export --format csv --from 2025-01-01 --to 2025-02-01 > jan.csv',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .action((options: AuditExportOptions) => runAuditExport(env, options));

  return audit;
}

/** `pulse audit verify`: prints the checked count and head hash, or throws naming the first bad entry. */
export async function runAuditVerify(env: Record<string, string | undefined>): Promise<void> {
  const metadata = await createMetadataStore(loadConfig(env).metadata);
  try {
    const result = await createAuditLog(metadata.db).verify();
    if (!result.ok) {
      throw new PulseError(
        'AUDIT_CHAIN_BROKEN',
        `audit log entry seq ${result.firstBad.seq} does not verify: ${result.firstBad.reason} (the ${result.checked} before it verify)`,
        {
          context: { ...result.firstBad, checked: result.checked },
          hint: `Treat this as a security incident: compare entries from seq ${result.firstBad.seq} on with your SIEM copy or an earlier export.`,
        },
      );
    }
    console.log(
      result.head
        ? `Audit log intact: ${result.checked} entries verified; head seq ${result.head.seq} hash ${result.head.hash}`
        : 'Audit log intact: no entries yet.',
    );
  } finally {
    await metadata.close();
  }
}

/** `pulse audit export`: streams the matching entries to stdout, honouring back-pressure. */
export async function runAuditExport(
  env: Record<string, string | undefined>,
  options: AuditExportOptions,
): Promise<void> {
  const metadata = await createMetadataStore(loadConfig(env).metadata);
  const filter: AuditFilter = {
    ...(options.from === undefined ? {} : { from: options.from }),
    ...(options.to === undefined ? {} : { to: options.to }),
    ...(options.workspace === undefined ? {} : { workspaceId: options.workspace }),
    ...(options.actor === undefined ? {} : { actorId: options.actor }),
    ...(options.action === undefined ? {} : { action: options.action }),
    ...(options.outcome === undefined ? {} : { outcome: options.outcome }),
  };
  try {
    for await (const chunk of createAuditLog(metadata.db).exportRows(options.format, filter)) {
      if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    }
  } finally {
    await metadata.close();
  }
}

function toIsoDate(value: string): string {
  const date = new Date(value);
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(date.getTime()))
    throw new InvalidArgumentError(
      `expected an ISO date such as 2025-01-31 or 2025-01-31T12:00:00Z, got "${value}"`,
    );
  return date.toISOString();
}
