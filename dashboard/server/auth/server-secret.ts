import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PulseError } from '@pulse/core';

/**
 * The server secret every derived key comes from (cookies' CSRF tokens, sealed MFA secrets,
 * connector credentials, signed links). PULSE_SECRET_KEY when set; otherwise one generated on
 * first start into `<data dir>/secret.key` (mode 0600), so the embedded default is secure
 * without a setup step and survives restarts. Several processes must share one: set the key.
 */
export function resolveServerSecret(configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) {
    if (Buffer.byteLength(configured) < 32)
      throw new PulseError('CONFIG_INVALID', 'PULSE_SECRET_KEY must be at least 32 bytes', {
        hint: 'Generate one with `openssl rand -base64 48`.',
      });
    return configured;
  }
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}
