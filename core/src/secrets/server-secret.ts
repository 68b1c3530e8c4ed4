import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PulseConfig } from '../config/index.ts';
import { PulseError } from '../errors/index.ts';

/**
 * The server secret for tools that run beside the server (`pulse secrets rotate`): PULSE_SECRET_KEY
 * when set, else the `secret.key` file the first start generated under PULSE_DATA_DIR. Never
 * generates one: a new secret here would make every stored credential unreadable.
 */
export function readServerSecret(config: Pick<PulseConfig, 'auth' | 'dataDir'>): string {
  if (config.auth.secretKey) return config.auth.secretKey;
  const file = join(config.dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new PulseError('SECRETS_KEY_UNAVAILABLE', 'no server secret is configured', {
    hint: `Set PULSE_SECRET_KEY, or start Pulse once so it writes ${file}.`,
  });
}
