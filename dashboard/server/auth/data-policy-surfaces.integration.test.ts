// One row policy and one restricted column, seen through every surface a viewer has: the metric
// API, an ad-hoc export file, and a report rendered for them. None may show more than the policy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPoliciesRepository } from '@pulse/core/rbac/data-policies';
import { kpiEvents, kpiRange, kpiWorkspace } from '@pulse/models';
import { insertEvents } from '@pulse/warehouse';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPulse, startPulse } from '../start-pulse.ts';
import { apiKeyCaller } from '../testing/test-auth.ts';

let pulse: RunningPulse;
let dataDir: string;
let viewer: Record<string, string>;
let admin: Record<string, string>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pulse-policy-surfaces-'));
  pulse = await startPulse(
    {
      PULSE_DATA_DIR: dataDir,
      PULSE_HOST: '127.0.0.1',
      PULSE_PORT: '0',
      PULSE_DEMO: 'off',
      PULSE_LOG_LEVEL: 'silent',
    },
    { withoutDashboard: true },
  );
  const { metadata, warehouse } = pulse.engines;
  await metadata.db.query("INSERT INTO workspaces (id, slug, name) VALUES ($1, 'kpi', 'KPI fixture')", [
    kpiWorkspace,
  ]);
  await insertEvents(warehouse, kpiEvents, { dedupToken: 'policy-surfaces' });
  await dataPoliciesRepository(metadata.db).createRowPolicy(kpiWorkspace, {
    name: 'LinkedIn only',
    appliesTo: { role: 'viewer' },
    dimension: 'platform',
    values: ['linkedin'],
  });
  viewer = {
    ...(await apiKeyCaller(pulse.auth, kpiWorkspace, 'viewer')),
    'content-type': 'application/json',
  };
  admin = { ...(await apiKeyCaller(pulse.auth, kpiWorkspace, 'admin')), 'content-type': 'application/json' };
  // Viewers may not export by default; this workspace lets them, so the file can be checked.
  await pulse.auth.roles.upsert(kpiWorkspace, {
    name: 'viewer-exporter',
    permissions: ['metrics:read', 'exports:create', 'reports:read'],
  });
  await dataPoliciesRepository(metadata.db).createRowPolicy(kpiWorkspace, {
    name: 'LinkedIn only (exporters)',
    appliesTo: { role: 'viewer-exporter' },
    dimension: 'platform',
    values: ['linkedin'],
  });
});
afterAll(async () => {
  await pulse?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const byPlatform = { metrics: ['impressions'], dimensions: ['platform'], timeRange: kpiRange };

async function exportCsv(headers: Record<string, string>, query: object): Promise<string> {
  const started = await fetch(`${pulse.url}/api/v1/exports`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ title: 'Impressions by platform', format: 'csv', query }),
  });
  expect(started.status).toBe(202);
  const { id } = (await started.json()) as { id: string };
  let state = '';
  for (let i = 0; i < 200 && state !== 'done'; i++) {
    const job = (await (await fetch(`${pulse.url}/api/v1/exports/${id}`, { headers })).json()) as {
      state: string;
      error: unknown;
    };
    state = job.state;
    if (state === 'failed') throw new Error(JSON.stringify(job.error));
    await new Promise((r) => setTimeout(r, 100));
  }
  return (await fetch(`${pulse.url}/api/v1/exports/${id}/file`, { headers })).text();
}

describe('a row policy and a masked column, on every surface', () => {
  it('the metric API', async () => {
    const res = await fetch(`${pulse.url}/api/v1/metrics/query`, {
      method: 'POST',
      headers: viewer,
      body: JSON.stringify(byPlatform),
    });
    const rows = ((await res.json()) as { rows: { platform: string }[] }).rows;
    expect(rows.map((r) => r.platform)).toEqual(['linkedin']);
  });

  it('an exported file', async () => {
    const exporter = {
      ...(await apiKeyCaller(pulse.auth, kpiWorkspace, 'viewer-exporter')),
      'content-type': 'application/json',
    };
    const mine = await exportCsv(exporter, byPlatform);
    const everything = await exportCsv(admin, byPlatform);
    expect(everything).toContain('instagram');
    expect(mine).toContain('linkedin');
    expect(mine).not.toContain('instagram');
    // user_id is restricted above a viewer's clearance: one masked bucket, no ids in the file.
    const ids = await exportCsv(exporter, {
      metrics: ['product_events'],
      dimensions: ['user_id'],
      timeRange: kpiRange,
    });
    const adminIds = await exportCsv(admin, {
      metrics: ['product_events'],
      dimensions: ['user_id'],
      timeRange: kpiRange,
    });
    const someId = adminIds.split('\n')[1]!.split(',')[0]!.replaceAll('"', '');
    expect(someId.length).toBeGreaterThan(0);
    expect(ids).not.toContain(someId);
    expect(ids).toContain('•••');
  });

  it('a report rendered for the viewer (XLSX)', async () => {
    const save = (title: string, query: object) =>
      pulse.engines.metadata.reports.create({
        workspaceId: kpiWorkspace,
        title,
        definition: { kind: 'explore', query },
      });
    const byPlatformReport = await save('Impressions by platform', byPlatform);
    const byUserReport = await save('Events by user', {
      metrics: ['product_events'],
      dimensions: ['user_id'],
      timeRange: kpiRange,
    });
    const cells = async (headers: Record<string, string>, report = byPlatformReport) => {
      const res = await fetch(`${pulse.url}/api/v1/report-runs/preview`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ reportId: report.id, format: 'xlsx' }),
      });
      if (res.status !== 200) throw new Error(await res.text());
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(Buffer.from(await res.arrayBuffer()) as never);
      const values: string[] = [];
      book.eachSheet((sheet) =>
        sheet.eachRow((row) => {
          for (const v of row.values as unknown[]) if (v !== undefined && v !== null) values.push(String(v));
        }),
      );
      return values;
    };
    const exporter = {
      ...(await apiKeyCaller(pulse.auth, kpiWorkspace, 'viewer-exporter')),
      'content-type': 'application/json',
    };
    const all = await cells(admin);
    const mine = await cells(exporter);
    expect(all).toContain('instagram');
    expect(mine).toContain('linkedin');
    expect(mine).not.toContain('instagram');
    const allUsers = await cells(admin, byUserReport);
    const myUsers = await cells(exporter, byUserReport);
    expect(allUsers).not.toContain('•••');
    expect(myUsers).toContain('•••');
    const ids = allUsers.filter((v) => /^u/.test(v) && !myUsers.includes(v));
    expect(ids.length).toBeGreaterThan(0);
  });

  it('a dashboard, its live tiles and its drill-down rows', async () => {
    const range = `from=${kpiRange.from}&to=${kpiRange.to}&tz=UTC&compare=0`;
    const tilePlatforms = async (headers: Record<string, string>) => {
      const res = await fetch(`${pulse.url}/api/v1/dashboards/social-performance/data?${range}`, { headers });
      expect(res.status).toBe(200);
      const snapshot = (await res.json()) as {
        tiles: { id: string; metric?: { rows: { platform?: string }[] } }[];
      };
      return new Set(
        snapshot.tiles.flatMap((t) => t.metric?.rows.map((r) => r.platform) ?? []).filter(Boolean),
      );
    };
    expect(await tilePlatforms(admin)).toEqual(new Set(['linkedin', 'instagram']));
    expect(await tilePlatforms(viewer)).toEqual(new Set(['linkedin']));
    // Drill-down rows: an analyst (clearance confidential) sees events with user ids masked.
    const analyst = await apiKeyCaller(pulse.auth, kpiWorkspace, 'analyst');
    const events = async (headers: Record<string, string>, extra = '') => {
      const res = await fetch(`${pulse.url}/api/v1/rows/events?${range}&pageSize=50${extra}`, { headers });
      return { status: res.status, body: (await res.json()) as { rows: { user_id: string }[] } };
    };
    const adminRows = (await events(admin)).body.rows.map((r) => r.user_id);
    const analystRows = (await events(analyst)).body.rows.map((r) => r.user_id);
    expect(adminRows.filter(Boolean).length).toBeGreaterThan(0);
    expect(analystRows.length).toBe(adminRows.length);
    expect(new Set(analystRows)).toEqual(new Set(['•••']));
    // Nor may they filter by it to guess values.
    const guess = await events(analyst, `&f=${encodeURIComponent(`user_id:eq:${adminRows.find(Boolean)}`)}`);
    expect(guess.status).toBe(403);
    expect(
      (await events(admin, `&f=${encodeURIComponent(`user_id:eq:${adminRows.find(Boolean)}`)}`)).status,
    ).toBe(200);
  });
});
