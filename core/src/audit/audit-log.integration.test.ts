import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrateMetadata, openPglite, openPostgres, type SqlDriver } from '../metadata/index.ts';
import {
  type AuditEntry,
  type AuditEntryInput,
  type AuditLog,
  createAuditLog,
  createSiemForwarder,
  formatSyslog,
  genesisHash,
  hashEntry,
} from './index.ts';

/** The same suite on embedded PGlite and on a real PostgreSQL server. */
const engines = {
  async pglite(): Promise<{ db: SqlDriver; cleanup(): Promise<void> }> {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-audit-'));
    cpSync(inject('pgliteTemplate'), join(dir, 'data'), { recursive: true });
    const db = await openPglite(join(dir, 'data'));
    return {
      db,
      cleanup: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async postgres(): Promise<{ db: SqlDriver; cleanup(): Promise<void> }> {
    const name = `audit_${randomUUID().replaceAll('-', '')}`;
    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const db = await openPostgres(inject('postgresUrl').replace(/\/postgres$/, `/${name}`));
    return { db, cleanup: () => db.close() };
  },
};

const ws = '6f1c2d4e-0000-4000-8000-000000000001';
const login = (over: Partial<AuditEntryInput> = {}): AuditEntryInput => ({
  workspaceId: null,
  actorType: 'user',
  actorId: 'ada',
  action: 'auth.login',
  sourceIp: '203.0.113.7',
  outcome: 'success',
  ...over,
});

describe.each(Object.keys(engines) as (keyof typeof engines)[])('audit log on %s', (engine) => {
  let db: SqlDriver;
  let cleanup: () => Promise<void>;
  let audit: AuditLog;

  beforeAll(async () => {
    ({ db, cleanup } = await engines[engine]());
    await migrateMetadata(db);
    audit = createAuditLog(db);
  });
  afterAll(() => cleanup());

  it('links each entry to the one before and verifies an untouched chain', async () => {
    const first = await audit.record(login());
    const second = await audit.record(
      login({ action: 'member.role_changed', workspaceId: ws, targetType: 'user', targetId: 'bob' }),
    );
    expect(first.prevHash).toBe(genesisHash);
    expect(second.prevHash).toBe(first.hash);
    expect(second.seq).toBeGreaterThan(first.seq);
    expect(await audit.verify()).toEqual({
      ok: true,
      checked: 2,
      head: { seq: second.seq, hash: second.hash },
    });
  });

  it('keeps the chain linear under concurrent appends', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => audit.record(login({ action: 'query.run', targetId: `q${i}` }))),
    );
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 22 });
  });

  it('stores hostile strings so that they still verify, and refuses a malformed action', async () => {
    await audit.record(
      login({
        outcome: 'failure',
        actorId: `evil\u0000\ud800${'x'.repeat(5000)}`,
        details: { 'ké\u0000y': ['a\u0000', { z: 1.5, a: null }], n: 2 ** 60 },
      }),
    );
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 23 });
    await expect(audit.record(login({ action: 'Login' }))).rejects.toMatchObject({
      code: 'AUDIT_ENTRY_INVALID',
    });
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    await expect(db.query("UPDATE audit_log SET outcome = 'failure'")).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(db.exec('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it('searches by workspace, actor, action area, outcome and time, newest first, page by page', async () => {
    const t0 = new Date('2030-01-01T00:00:00.000Z');
    for (const [i, actorId] of ['carol', 'dan', 'carol', 'carol', 'carol'].entries()) {
      await audit.record(
        login({
          workspaceId: ws,
          actorId,
          action: i === 1 ? 'export.csv' : 'auth.logout',
          outcome: i === 4 ? 'denied' : 'success',
          at: new Date(t0.getTime() + i * 60_000),
        }),
      );
    }
    const carol = { workspaceId: ws, actorId: 'carol', action: 'auth.*' };
    const page1 = await audit.search({ ...carol, limit: 3 });
    expect(page1.items.map((e) => e.at)).toEqual([
      '2030-01-01T00:04:00.000Z',
      '2030-01-01T00:03:00.000Z',
      '2030-01-01T00:02:00.000Z',
    ]);
    const page2 = await audit.search({ ...carol, limit: 3, cursor: page1.nextCursor });
    expect(page2.items.map((e) => e.at)).toEqual(['2030-01-01T00:00:00.000Z']);
    expect(page2.nextCursor).toBeNull();

    expect((await audit.search({ actorId: 'dan' })).items.map((e) => e.action)).toEqual(['export.csv']);
    expect((await audit.search({ outcome: 'denied', workspaceId: ws })).items).toHaveLength(1);
    const window = await audit.search({ from: '2030-01-01T00:01:00Z', to: '2030-01-01T00:03:00Z' });
    expect(window.items.map((e) => e.actorId)).toEqual(['carol', 'dan']);
    await expect(audit.search({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    await expect(audit.search({ from: 'yesterday' })).rejects.toMatchObject({ code: 'AUDIT_QUERY_INVALID' });
  });

  it('exports CSV per RFC 4180 and JSON, oldest first', async () => {
    const tricky = await audit.record(
      login({
        action: 'schedule.created',
        targetType: 'schedule',
        targetId: 'weekly, "board"\nreport',
        details: { note: 'a,b' },
      }),
    );
    const filter = { action: 'schedule.created' };
    let csv = '';
    for await (const chunk of audit.exportRows('csv', filter)) csv += chunk;
    const [header, row, rest] = csv.split('\r\n');
    expect(header).toBe(
      'seq,id,at,workspace_id,actor_type,actor_id,action,target_type,target_id,source_ip,outcome,details,prev_hash,hash',
    );
    expect(row).toBe(
      `${tricky.seq},${tricky.id},${tricky.at},,user,ada,schedule.created,schedule,"weekly, ""board""\nreport",` +
        `203.0.113.7,success,"{""note"":""a,b""}",${tricky.prevHash},${tricky.hash}`,
    );
    expect(rest).toBe('');

    let json = '';
    for await (const chunk of audit.exportRows('json', { actorId: 'carol' })) json += chunk;
    const rows = JSON.parse(json) as AuditEntry[];
    expect(rows.map((e) => e.at)).toEqual([
      '2030-01-01T00:00:00.000Z',
      '2030-01-01T00:02:00.000Z',
      '2030-01-01T00:03:00.000Z',
      '2030-01-01T00:04:00.000Z',
    ]);
    let none = '';
    for await (const chunk of audit.exportRows('json', { actorId: 'nobody' })) none += chunk;
    expect(JSON.parse(none)).toEqual([]);
  });

  it('formats an RFC 5424 syslog line', async () => {
    const entry = await audit.record(
      login({
        outcome: 'denied',
        action: 'admin.user_disabled',
        targetId: 'x"]\\y',
        details: { who: 'Zoë' },
      }),
    );
    const line = formatSyslog(entry, { hostname: 'pulse-1', procId: '42' });
    expect(line).toMatch(
      /^<\d{1,3}>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S{1,255} \S{1,48} \S{1,128} \S{1,32} \[audit@32473( [a-zA-Z]{1,32}="(?:[^"\\\]]|\\["\\\]])*")+\] [\x20-\x7e]+$/,
    );
    // Facility 13 (log audit) × 8 + severity 4 (warning) for a denied action.
    expect(
      line.startsWith(
        `<108>1 ${entry.at} pulse-1 pulse 42 admin.user_disabled [audit@32473 seq="${entry.seq}"`,
      ),
    ).toBe(true);
    expect(line).toContain('target="x\\"\\]\\\\y"');
    expect(JSON.parse(line.slice(line.indexOf('] {') + 2))).toEqual(entry);
  });

  it('forwards entries to a SIEM webhook in order, retrying a failed batch', async () => {
    const bodies: { type: string | undefined; body: string }[] = [];
    let failNext = true;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        if (failNext) {
          failNext = false;
          res.writeHead(503).end();
          return;
        }
        bodies.push({ type: req.headers['content-type'], body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/audit`;
    try {
      const json = createSiemForwarder({ url, format: 'json', flushIntervalMs: 60_000 });
      const syslog = createSiemForwarder({ url, format: 'syslog', flushIntervalMs: 60_000 });
      const unsubscribe = [audit.onRecord(json.send), audit.onRecord(syslog.send)];
      const sent = [
        await audit.record(login({ action: 'auth.logout' })),
        await audit.record(login({ action: 'auth.login', outcome: 'failure' })),
      ];
      for (const off of unsubscribe) off();
      await expect.poll(() => json.stats().queued + syslog.stats().queued).toBe(4);

      await json.flush(); // the server answers 503: the batch stays queued
      expect(json.stats()).toMatchObject({ delivered: 0, failedAttempts: 1, queued: 2 });
      await json.close(); // close retries at once
      await syslog.close();
      expect(json.stats()).toMatchObject({ delivered: 2, queued: 0 });

      const jsonBody = bodies.find((b) => b.type === 'application/json')!;
      expect((JSON.parse(jsonBody.body) as { entries: AuditEntry[] }).entries).toEqual(sent);
      const syslogBody = bodies.find((b) => b.type?.startsWith('text/plain'))!;
      expect(syslogBody.body.trimEnd().split('\n')).toEqual(sent.map((e) => formatSyslog(e)));
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('names the first entry that was edited, re-hashed or removed', async () => {
    const all = (await audit.search({ limit: 500 })).items.reverse();
    const target = all[5]!;
    const next = all[6]!;
    const tamper = async (sql: string, params: unknown[]) => {
      await db.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await db.query(sql, params);
      await db.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    };

    await tamper("UPDATE audit_log SET outcome = 'failure' WHERE seq = $1", [target.seq]);
    expect(await audit.verify()).toEqual({
      ok: false,
      checked: 5,
      firstBad: { seq: target.seq, reason: expect.stringMatching(/entry was changed/) },
    });

    // A tamperer who also recomputes the row's hash breaks the link from the next entry.
    await tamper('UPDATE audit_log SET hash = $2 WHERE seq = $1', [
      target.seq,
      hashEntry({ ...target, outcome: 'failure' }),
    ]);
    expect(await audit.verify()).toEqual({
      ok: false,
      checked: 6,
      firstBad: { seq: next.seq, reason: expect.stringMatching(new RegExp(`hash of entry ${target.seq}`)) },
    });

    await tamper('UPDATE audit_log SET outcome = $2, hash = $3 WHERE seq = $1', [
      target.seq,
      target.outcome,
      target.hash,
    ]);
    expect(await audit.verify()).toMatchObject({ ok: true });
    await tamper('DELETE FROM audit_log WHERE seq = $1', [target.seq]);
    expect(await audit.verify()).toEqual({
      ok: false,
      checked: 5,
      firstBad: { seq: next.seq, reason: expect.stringMatching(/removed/) },
    });
  });
});
