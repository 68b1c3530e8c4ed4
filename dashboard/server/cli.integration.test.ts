import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'pulse-cli-'));
const baseEnv = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  PULSE_DATA_DIR: dataDir,
  PULSE_LOG_LEVEL: 'warn',
};
const pulse = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, ...args], {
    env: { ...baseEnv, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('pulse CLI', () => {
  it('prints help for the program and every command, exiting 0', () => {
    const help = pulse(['--help']);
    expect(help.status).toBe(0);
    for (const command of ['start', 'migrate', 'seed', 'seal', 'version']) {
      expect(help.stdout).toContain(command);
      const sub = pulse([command, '--help']);
      expect(sub.status).toBe(0);
      expect(sub.stdout).toContain(`Usage: pulse ${command}`);
    }
  });

  it('exits 2 on an unknown command or option', () => {
    expect(pulse(['frobnicate']).status).toBe(2);
    expect(pulse(['seed', '--days', 'many']).status).toBe(2);
  });

  it('refuses bad configuration at once, naming every bad key, with exit code 3', () => {
    const result = pulse(['start'], { PULSE_PORT: 'http', PULSE_DEMO: 'sometimes', KAFKA_BROKERS: 'nohost' });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('3 invalid config keys');
    for (const key of ['PULSE_PORT="http"', 'PULSE_DEMO="sometimes"', 'KAFKA_BROKERS="nohost"'])
      expect(result.stderr).toContain(key);
    expect(result.stderr).toContain('hint:');
  });

  it('migrates once, then has nothing to do', () => {
    const first = pulse(['migrate']);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('warehouse: applied 1 raw_event_tables');
    expect(first.stdout).toContain('metadata: applied 1 initial');
    const second = pulse(['migrate']);
    expect(second.status).toBe(0);
    expect(second.stdout.trim()).toBe('Nothing to migrate: warehouse and metadata are up to date.');
    expect(pulse(['migrate', '--status']).stdout).toMatch(/warehouse {2}2 {2}ingest_errors +applied/);
  });

  it('seeds demo history with progress', () => {
    const result = pulse(['seed', '--days', '3', '--events', '5000']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/seeded [\d,]+ demo events in [\d.]+ s into workspace "demo"/);
  });

  it('seals the finished days of the seeded history, then has nothing to do', () => {
    const first = pulse(['seal']);
    expect(first.status).toBe(0);
    // A short demo may hold no deal changes; posts and product events it always has.
    for (const source of ['post_activity', 'product_actors_day'])
      expect(first.stdout).toMatch(
        new RegExp(`${source} +sealed [1-9]\\d* day\\(s\\) from \\d{4}-\\d{2}-01`),
      );
    const tables = first.stdout.split('\n').filter((line) => / sealed | up to date/.test(line)).length;
    const second = pulse(['seal']);
    expect(second.status).toBe(0);
    expect(second.stdout).not.toContain('sealed');
    expect(second.stdout.match(/up to date/g)).toHaveLength(tables);
  });

  it('starts, serves health, and shuts down gracefully on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, 'start'], {
      env: { ...baseEnv, PULSE_PORT: '0', PULSE_HOST: '127.0.0.1', PULSE_DEMO: 'off' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line in: ${out}`)), 90_000);
      child.stdout.on('data', () => {
        const match = out.match(/running on (http:\/\/\S+)/);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const started = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
