// Every route and live stream Pulse registers, walked: each refuses an anonymous caller and a
// caller without its permission; and the role × permission matrix, as a spec written out by hand.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Permission, permissions } from '@pulse/core/rbac/permissions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPulse, startPulse } from '../start-pulse.ts';
import { apiKeyCaller } from '../testing/test-auth.ts';
import type { RegisteredRoute } from './auth-plugin.ts';

let pulse: RunningPulse;
let dataDir: string;
let workspaceId: string;
let routes: RegisteredRoute[];
// A SIEM on loopback: Pulse streams every audit entry to it.
const siemBatches: { authorization?: string; entries: { action: string; outcome: string }[] }[] = [];
const siem = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    siemBatches.push({ authorization: req.headers.authorization, entries: JSON.parse(body).entries });
    res.end('ok');
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => siem.listen(0, '127.0.0.1', resolve));
  dataDir = mkdtempSync(join(tmpdir(), 'pulse-routes-'));
  pulse = await startPulse(
    {
      PULSE_DATA_DIR: dataDir,
      PULSE_HOST: '127.0.0.1',
      PULSE_PORT: '0',
      PULSE_DEMO: 'off',
      PULSE_LOG_LEVEL: 'silent',
      PULSE_AUDIT_SIEM_URL: `http://127.0.0.1:${(siem.address() as AddressInfo).port}/collect`,
      PULSE_AUDIT_SIEM_AUTHORIZATION: 'Bearer siem-token',
    },
    { withoutDashboard: true },
  );
  workspaceId = (await pulse.engines.metadata.workspaces.getBySlug('demo'))!.id;
  routes = pulse.routes();
});
afterAll(async () => {
  await pulse?.stop();
  siem.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Routes that anyone may call, each reviewed: adding one here is a security decision. */
const reviewedPublic = [
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /api/v1/openapi.json',
  'GET /api/v1/auth/providers',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/setup',
  'GET /auth/oidc/start',
  'GET /auth/oidc/callback',
  // Report files sent by e-mail: the expiring HMAC signature in the link is the credential.
  'GET /api/v1/downloads/*',
  // The collector: every request carries a source's write key, checked by the collector itself.
  'POST /v1/batch',
  'POST /v1/track',
  'POST /v1/identify',
  'POST /v1/page',
  'POST /v1/screen',
  'POST /v1/group',
  'POST /v1/alias',
  'POST /v1/events',
];

const concrete = (url: string) =>
  url.replace(/:(\w+)/g, (_, name: string) =>
    /id$/i.test(name) ? '00000000-0000-4000-8000-000000000000' : `test-${name}`,
  );
const call = (route: RegisteredRoute, headers: Record<string, string> = {}) =>
  fetch(`${pulse.url}${concrete(route.url)}`, {
    method: route.method,
    headers: {
      ...headers,
      ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
    },
    ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: '{}' }),
    // Live streams answer a refusal at once; an accepted one would stream forever.
    signal: AbortSignal.timeout(10_000),
  });

describe('route enumeration', () => {
  it('describes every API route in the OpenAPI document, with the permission it needs', async () => {
    const doc = (await (await fetch(`${pulse.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { 'x-pulse-permission'?: string; security?: unknown[] }>>;
    };
    const missing = routes
      .filter((r) => r.url.startsWith('/api/'))
      .filter(
        (r) =>
          !doc.paths[r.url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}')]?.[r.method.toLowerCase()],
      );
    expect(missing.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    expect(doc.paths['/api/v1/members']?.get?.['x-pulse-permission']).toBe('members:manage');
  });

  it('finds the routes of every surface', () => {
    const urls = routes.map((r) => `${r.method} ${r.url}`);
    for (const expected of [
      'POST /api/v1/metrics/query',
      'GET /api/v1/live',
      'GET /api/v1/members',
      'POST /v1/batch',
    ])
      expect(urls).toContain(expected);
    expect(routes.length).toBeGreaterThan(30);
  });

  it('every route declares its access; the public ones are exactly the reviewed list', () => {
    expect(routes.filter((r) => r.access === undefined).map((r) => `${r.method} ${r.url}`)).toEqual([]);
    const open = routes.filter((r) => r.access && 'public' in r.access).map((r) => `${r.method} ${r.url}`);
    expect(open.filter((r) => !reviewedPublic.includes(r))).toEqual([]);
  });

  it('every other route and live stream refuses an anonymous caller (401)', async () => {
    const gated = routes.filter((r) => r.access && !('public' in r.access));
    const answers = await Promise.all(
      gated.map(async (r) => [`${r.method} ${r.url}`, (await call(r)).status] as const),
    );
    expect(answers.filter(([, status]) => status !== 401)).toEqual([]);
  });

  it('every permission-gated route refuses a caller holding every permission but that one (403)', async () => {
    const gated = routes.filter(
      (r): r is RegisteredRoute & { access: { permission: Permission } } =>
        r.access !== undefined && 'permission' in r.access,
    );
    const wrong: string[] = [];
    for (const permission of new Set(gated.map((r) => r.access.permission))) {
      const role = `all-but-${permission.replace(':', '-')}`;
      await pulse.auth.roles.upsert(workspaceId, {
        name: role,
        permissions: permissions.filter((p) => p !== permission),
      });
      const caller = await apiKeyCaller(pulse.auth, workspaceId, role);
      for (const r of gated.filter((g) => g.access.permission === permission)) {
        const res = await call(r, caller);
        const body = (await res.json()) as { error?: { code: string } };
        if (res.status !== 403 || body.error?.code !== 'PERMISSION_DENIED')
          wrong.push(`${r.method} ${r.url}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** The role matrix as the product promises it: Y = allowed. Not derived from the code. */
const matrix: Record<
  Permission,
  [viewer: 'Y' | '-', analyst: 'Y' | '-', editor: 'Y' | '-', admin: 'Y' | '-']
> = {
  'metrics:read': ['Y', 'Y', 'Y', 'Y'],
  'dashboards:read': ['Y', 'Y', 'Y', 'Y'],
  'reports:read': ['Y', 'Y', 'Y', 'Y'],
  'pipeline:read': ['Y', 'Y', 'Y', 'Y'],
  'reports:write': ['-', 'Y', 'Y', 'Y'],
  'explore:use': ['-', 'Y', 'Y', 'Y'],
  'sql:run': ['-', 'Y', 'Y', 'Y'],
  'rows:read': ['-', 'Y', 'Y', 'Y'],
  'exports:create': ['-', 'Y', 'Y', 'Y'],
  'dashboards:write': ['-', '-', 'Y', 'Y'],
  'reports:schedule': ['-', '-', 'Y', 'Y'],
  'sources:manage': ['-', '-', '-', 'Y'],
  'api_keys:manage': ['-', '-', '-', 'Y'],
  'members:manage': ['-', '-', '-', 'Y'],
  'roles:manage': ['-', '-', '-', 'Y'],
  'audit:read': ['-', '-', '-', 'Y'],
  'privacy:manage': ['-', '-', '-', 'Y'],
};
const roleNames = ['viewer', 'analyst', 'editor', 'admin'] as const;

describe('RBAC matrix (role × action)', () => {
  it('covers every permission', () => {
    expect(Object.keys(matrix).sort()).toEqual([...permissions].sort());
  });

  it('lets each built-in role do exactly what the matrix says, on a real route per permission', async () => {
    const callers = Object.fromEntries(
      await Promise.all(
        roleNames.map(async (r) => [r, await apiKeyCaller(pulse.auth, workspaceId, r)] as const),
      ),
    );
    const observed: string[] = [];
    const expected: string[] = [];
    for (const [permission, row] of Object.entries(matrix) as [Permission, (typeof matrix)[Permission]][]) {
      // A safe representative: a GET (not a stream) when there is one.
      const candidates = routes.filter(
        (r) => r.access && 'permission' in r.access && r.access.permission === permission,
      );
      const route =
        candidates.find((r) => r.method === 'GET' && !r.stream) ??
        candidates.find((r) => !r.stream) ??
        candidates[0];
      if (!route) {
        observed.push(`${permission}: no route`);
        continue;
      }
      for (const [i, role] of roleNames.entries()) {
        const res = await call(route, callers[role]!);
        await res.body?.cancel();
        expected.push(`${role} ${permission}: ${row[i] === 'Y' ? 'allowed' : 'denied'}`);
        observed.push(
          `${role} ${permission}: ${res.status === 403 || res.status === 401 ? 'denied' : 'allowed'}`,
        );
      }
    }
    expect(observed).toEqual(expected);
    // Every permission guards at least one real route.
    expect(observed.length).toBe(4 * permissions.length);
  });

  it('a custom role grants exactly its named permissions', async () => {
    await pulse.auth.roles.upsert(workspaceId, { name: 'auditor', permissions: ['audit:read'] });
    const caller = await apiKeyCaller(pulse.auth, workspaceId, 'auditor');
    expect((await fetch(`${pulse.url}/api/v1/audit`, { headers: caller })).status).toBe(200);
    expect((await fetch(`${pulse.url}/api/v1/metrics`, { headers: caller })).status).toBe(403);
    expect((await fetch(`${pulse.url}/api/v1/members`, { headers: caller })).status).toBe(403);
  });
});

describe('audit stream', () => {
  it('streams audit entries to the configured SIEM, with its credentials', async () => {
    const res = await fetch(`${pulse.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'not the password at all' }),
    });
    expect(res.status).toBe(401);
    await expect
      .poll(
        () =>
          siemBatches
            .flatMap((b) => b.entries)
            .some((e) => e.action === 'auth.login' && e.outcome === 'failure'),
        {
          timeout: 10_000,
        },
      )
      .toBe(true);
    expect(siemBatches.every((b) => b.authorization === 'Bearer siem-token')).toBe(true);
  });
});
