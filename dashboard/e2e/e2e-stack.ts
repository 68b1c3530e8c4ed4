// E2E helper: one Pulse (demo data loaded, no live stream so numbers hold still) and one Chromium
// per test file, and their teardown.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { type RunningPulse, startPulse } from '../server/start-pulse.ts';
import { launchChromium } from './launch-chromium.ts';

/** Screenshots for a person to look at (kept out of git). */
export const artifacts = join(process.cwd(), 'test-artifacts');

export interface E2eStack {
  pulse: RunningPulse;
  browser: Browser;
  stop(): Promise<void>;
}

export async function startE2eStack(
  name: string,
  options: { demoDays?: number; demoEvents?: number } = {},
): Promise<E2eStack> {
  const dataDir = mkdtempSync(join(tmpdir(), `pulse-e2e-${name}-`));
  mkdirSync(artifacts, { recursive: true });
  const pulse = await startPulse(
    {
      PULSE_DATA_DIR: dataDir,
      PULSE_HOST: '127.0.0.1',
      PULSE_PORT: '0',
      PULSE_DEMO: 'on',
      PULSE_DEMO_DAYS: String(options.demoDays ?? 7),
      PULSE_DEMO_LIVE_RATE: '0',
      PULSE_LOG_LEVEL: 'warn',
    },
    { demoEvents: options.demoEvents ?? 20_000 },
  );
  await pulse.demoLoaded;
  const browser = await launchChromium();
  return {
    pulse,
    browser,
    async stop() {
      await browser.close();
      await pulse.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
