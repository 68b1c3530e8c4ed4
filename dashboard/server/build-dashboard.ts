import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PulseError } from '@pulse/core';

const dashboardDir = fileURLToPath(new URL('..', import.meta.url));
export const handlerPath = join(dashboardDir, 'build', 'handler.js');

/**
 * Builds the SvelteKit app when the build is missing or older than its sources, so `npm start`
 * works on a fresh clone and stays fast on later starts (no rebuild when nothing changed).
 */
export function ensureDashboardBuilt(log: (message: string) => void): void {
  if (existsSync(handlerPath) && newestSource() <= statSync(handlerPath).mtimeMs) return;
  log('building the dashboard (first start or changed sources)…');
  const vite = join(dashboardDir, '..', 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: dashboardDir,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    throw new PulseError('DASHBOARD_BUILD_FAILED', 'the dashboard build failed', {
      hint: 'Run `npm run build` to see the error; `npm install` first if dependencies are missing.',
    });
  }
}

function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const entry of ['src', 'vite.config.ts']) {
    const path = join(dashboardDir, entry);
    if (existsSync(path)) visit(path);
  }
  return newest;
}
