// `npm test`: prepares the test environment, then runs lint, type-checks, the dashboard build and
// every Vitest suite (unit, integration, e2e), and ends with one line `N passed, N failed`.
// Lint, type-check and build count as one check each; Vitest contributes one per test.
// Arguments after `--` go to Vitest (e.g. `npm test -- --project unit`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Step {
  name: string;
  command: string[];
  skip?: boolean;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const vitestArgs = process.argv.slice(2);
const report = `${root}.tmp/vitest-report.json`;
const quick = process.env.PULSE_TEST_QUICK === '1';

const steps: Step[] = [
  { name: 'prepare test environment', command: ['bash', 'scripts/prepare-test-env.sh'], skip: quick },
  { name: 'lint (biome)', command: ['npx', 'biome', 'check', '.'] },
  { name: 'type-check (tsc)', command: ['npx', 'tsc', '-p', 'tsconfig.json'] },
  {
    name: 'type-check (svelte-check)',
    command: ['npm', 'run', 'typecheck', '--workspace', '@pulse/dashboard'],
  },
  { name: 'build dashboard', command: ['npm', 'run', 'build', '--workspace', '@pulse/dashboard'] },
];

let passed = 0;
let failed = 0;
const failures: string[] = [];

for (const step of steps) {
  if (step.skip) continue;
  const ok = run(step.name, step.command);
  if (ok) passed++;
  else {
    failed++;
    failures.push(step.name);
    if (step.name.startsWith('prepare')) break;
  }
}

if (!failures.some((f) => f.startsWith('prepare'))) {
  mkdirSync(`${root}.tmp`, { recursive: true });
  rmSync(report, { force: true });
  run('vitest', [
    'npx',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...vitestArgs,
  ]);
  const totals = readVitestTotals();
  passed += totals.passed;
  failed += totals.failed;
  if (totals.failed > 0) failures.push(`${totals.failed} vitest test(s)`);
}

if (failures.length > 0) console.log(`\nFailed: ${failures.join('; ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

function run(name: string, command: string[]): boolean {
  console.log(`\n▶ ${name}: ${command.join(' ')}`);
  const started = Date.now();
  const result = spawnSync(command[0]!, command.slice(1), { cwd: root, stdio: 'inherit', env: process.env });
  const ok = result.status === 0;
  console.log(`${ok ? '✔' : '✘'} ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return ok;
}

function readVitestTotals(): { passed: number; failed: number } {
  if (!existsSync(report)) {
    console.log('✘ vitest wrote no report: counting the run as one failure');
    return { passed: 0, failed: 1 };
  }
  const json = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numFailedTestSuites: number;
    testResults: { status: string; assertionResults: unknown[] }[];
  };
  // A file that fails to load reports no tests: count each such file as one failure.
  const brokenFiles = json.testResults.filter(
    (f) => f.status === 'failed' && f.assertionResults.length === 0,
  ).length;
  return { passed: json.numPassedTests, failed: json.numFailedTests + brokenFiles };
}
