// Parses the dbt project in models/dbt with the pinned dbt-core + dbt-clickhouse and checks the
// manifest: models, sources and the generic schema tests. `dbt parse` reads profiles.yml but never
// connects, so no ClickHouse server is needed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dbt = join(repo, '.venv-dbt/bin/dbt');

interface Node {
  resource_type: string;
  name: string;
  config?: { materialized?: string; severity?: string };
  test_metadata?: { name: string; kwargs: Record<string, unknown> };
  attached_node?: string;
  column_name?: string;
  columns?: Record<string, { description?: string }>;
  description?: string;
}
interface Manifest {
  nodes: Record<string, Node>;
  sources: Record<string, { name: string; source_name: string; schema: string; loaded_at_field?: string }>;
  docs: Record<string, { name: string }>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeout: number) {
  const r = spawnSync(cmd, args, { cwd: repo, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

describe('dbt project models/dbt', () => {
  const targetDir = mkdtempSync(join(tmpdir(), 'pulse-dbt-target-'));
  const logDir = mkdtempSync(join(tmpdir(), 'pulse-dbt-logs-'));
  afterAll(() => {
    rmSync(targetDir, { recursive: true, force: true });
    rmSync(logDir, { recursive: true, force: true });
  });
  let manifest: Manifest;

  it('installs dbt and parses the project', { timeout: 900_000 }, () => {
    const setup = run('bash', ['scripts/setup-dbt.sh'], process.env, 600_000);
    expect(setup.status, setup.output).toBe(0);

    const env = {
      ...process.env,
      DBT_TARGET_PATH: targetDir,
      DBT_LOG_PATH: logDir,
      DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
      DBT_USE_COLORS: 'false',
    };
    const parse = run(
      dbt,
      ['parse', '--project-dir', 'models/dbt', '--profiles-dir', 'models/dbt', '--no-partial-parse'],
      env,
      300_000,
    );
    expect(parse.status, parse.output).toBe(0);
    manifest = JSON.parse(readFileSync(join(targetDir, 'manifest.json'), 'utf8')) as Manifest;
  });

  it('has every staging and mart model, materialized as configured', () => {
    const models = new Map(
      Object.values(manifest.nodes)
        .filter((n) => n.resource_type === 'model')
        .map((n) => [n.name, n]),
    );
    const staging = [
      'stg_product_events',
      'stg_social_posts',
      'stg_social_post_metrics',
      'stg_social_comments',
      'stg_social_followers',
      'stg_crm_entity_events',
      'stg_crm_deal_stage_changes',
      'stg_ingest_errors',
    ];
    const marts = ['fct_daily_social_kpis', 'fct_daily_product_kpis', 'fct_daily_crm_kpis', 'dim_posts'];
    expect([...models.keys()].sort()).toEqual([...staging, ...marts].sort());
    for (const name of staging) expect(models.get(name)?.config?.materialized, name).toBe('view');
    for (const name of marts) expect(models.get(name)?.config?.materialized, name).toBe('table');
    for (const [name, model] of models) {
      expect(model.description, name).not.toBe('');
      expect(Object.keys(model.columns ?? {}).length, name).toBeGreaterThan(0);
    }
    expect(Object.keys(models.get('fct_daily_social_kpis')?.columns ?? {})).toEqual(
      expect.arrayContaining([
        'day',
        'workspace_id',
        'platform',
        'impressions',
        'reach',
        'engagements',
        'followers',
      ]),
    );
  });

  it('declares a source for every raw table, in the pulse database, with freshness columns', () => {
    const sources = Object.values(manifest.sources);
    expect(sources.map((s) => s.name).sort()).toEqual(
      [
        'product_events',
        'social_posts',
        'social_post_metrics',
        'social_comments',
        'social_followers',
        'crm_entity_events',
        'crm_deal_stage_changes',
        'ingest_errors',
      ].sort(),
    );
    for (const s of sources) {
      expect(s.source_name).toBe('pulse_raw');
      expect(s.schema).toBe(process.env.PULSE_DBT_RAW_DATABASE ?? 'pulse');
      expect(s.loaded_at_field, s.name).toBeTruthy();
    }
    expect(Object.values(manifest.docs).map((d) => d.name)).toContain('__overview__');
  });

  it('has not_null, unique, accepted_values and relationships tests', () => {
    const tests = Object.values(manifest.nodes).filter((n) => n.resource_type === 'test' && n.test_metadata);
    const kinds = new Set(tests.map((t) => t.test_metadata?.name));
    for (const kind of ['not_null', 'unique', 'accepted_values', 'relationships'])
      expect(kinds).toContain(kind);

    const on = (kind: string, model: string, column: string) =>
      tests.find(
        (t) =>
          t.test_metadata?.name === kind &&
          t.attached_node === `model.pulse.${model}` &&
          t.column_name === column,
      );
    expect(on('unique', 'stg_product_events', 'event_id')).toBeDefined();
    const platforms = on('accepted_values', 'stg_social_posts', 'platform');
    expect([...((platforms?.test_metadata?.kwargs.values ?? []) as string[])].sort()).toEqual([
      'facebook',
      'instagram',
      'linkedin',
      'tiktok',
      'x',
      'youtube',
    ]);
    const rel = on('relationships', 'stg_social_post_metrics', 'post_id');
    expect(rel?.test_metadata?.kwargs.to).toContain("ref('stg_social_posts')");
    expect(rel?.test_metadata?.kwargs.field).toBe('post_id');
  });
});
