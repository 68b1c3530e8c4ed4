import { Command } from 'commander';
import { createMetadataStore, loadConfig, type MetadataStore } from '@pulse/core';
import { createAuditLog } from '@pulse/core/audit/index';
import { connectorCredentials, readServerSecret } from '@pulse/core/secrets/index';

type Env = Record<string, string | undefined>;

/** `pulse secrets rotate`. Throws instead of exiting, like the other subcommands (see cli.ts). */
export function secretsCommand(env: Env = process.env): Command {
  const secrets = new Command('secrets')
    .description('stored connector credentials (sealed with AES-256-GCM under PULSE_SECRET_KEY)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  secrets
    .command('rotate')
    .description('re-encrypt every stored connector credential under the current PULSE_SECRET_KEY')
    .addHelpText(
      'after',
      '\nTo rotate the server secret:\n' +
        '  1. set PULSE_SECRET_KEY to the new secret and PULSE_SECRET_KEY_PREVIOUS to the old one, restart Pulse;\n' +
        '  2. run `pulse secrets rotate` (safe to repeat; an interrupted run is finished by the next);\n' +
        '  3. remove PULSE_SECRET_KEY_PREVIOUS: the old secret is no longer needed.\n' +
        'Sessions, CSRF tokens and MFA secrets derive from the same secret; see README.md#configuration.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .action(async () => {
      const config = loadConfig(env);
      const metadata = await createMetadataStore(config.metadata);
      try {
        await runSecretsRotate(metadata, {
          secretKey: readServerSecret(config),
          previousSecretKeys: config.auth.previousSecretKeys,
        });
      } finally {
        await metadata.close();
      }
    });

  return secrets;
}

/** Re-seals what is left under a previous key and records it in the audit log (counts only). */
export async function runSecretsRotate(
  metadata: MetadataStore,
  keys: { secretKey: string; previousSecretKeys: readonly string[] },
  print: (line: string) => void = console.log,
): Promise<{ rotated: number; alreadyCurrent: number }> {
  const result = await connectorCredentials(metadata.db, keys).rotate();
  await createAuditLog(metadata.db).record({
    actorType: 'system',
    actorId: 'cli',
    action: 'secrets.rotated',
    targetType: 'connector_credentials',
    outcome: 'success',
    details: { ...result },
  });
  print(
    `Re-encrypted ${result.rotated} credential(s) under the current key; ${result.alreadyCurrent} already were.` +
      (keys.previousSecretKeys.length > 0 ? '\nPULSE_SECRET_KEY_PREVIOUS can now be removed.' : ''),
  );
  return result;
}
