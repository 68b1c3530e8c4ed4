import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWarehouse } from '@pulse/warehouse';
import { afterAll, describe, expect, it } from 'vitest';

// kill -9 the whole Pulse process (collector, embedded log and ingester) at random moments while
// events flow, restarting it each time: nothing acknowledged is lost and nothing is duplicated.
const cli = fileURLToPath(new URL('../../../dashboard/server/cli.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'pulse-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('crash recovery (embedded mode)', () => {
  it('keeps every acknowledged event exactly once across 5 kill -9 of the running process', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PULSE_DATA_DIR: dataDir,
      PULSE_PORT: String(port),
      PULSE_HOST: '127.0.0.1',
      PULSE_DEMO: 'off',
      PULSE_LOG_LEVEL: 'warn',
    };
    const base = `http://127.0.0.1:${port}`;
    let writeKey = '';
    const start = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, [cli, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        writeKey ||= out.match(/product +(pk_\S+)/)?.[1] ?? '';
      });
      for (let i = 0; i < 300; i++) {
        if (
          await fetch(`${base}/readyz`).then(
            (r) => r.ok,
            () => false,
          )
        )
          return child;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`Pulse did not start: ${out}`);
    };

    const acknowledged = new Set<string>();
    const ambiguous = new Set<string>();
    let sent = 0;
    let sending = true;
    const sender = (async () => {
      while (sending) {
        const ids = Array.from({ length: 50 }, () => `crash-${sent++}`);
        const batch = ids.map((messageId) => ({
          type: 'track',
          messageId,
          userId: `u${sent % 7}`,
          event: 'Crash Test',
        }));
        try {
          const res = await fetch(`${base}/v1/batch`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
            },
            body: JSON.stringify({ batch }),
          });
          if (res.status === 200) for (const id of ids) acknowledged.add(id);
          else for (const id of ids) ambiguous.add(id); // refused (e.g. 503): not acknowledged
        } catch {
          // The process died mid-request: these may or may not have reached the log.
          for (const id of ids) ambiguous.add(id);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();

    let child = await start();
    for (let kill = 0; kill < 5; kill++) {
      await new Promise((r) => setTimeout(r, 800 + Math.random() * 1500));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      child = await start();
    }
    await new Promise((r) => setTimeout(r, 1000));
    sending = false;
    await sender;
    // Let the ingester catch up (the public Prometheus endpoint shows its consumer lag; the data
    // API needs a signed-in caller), then stop gracefully so the warehouse can be opened here.
    const lag = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const values = [...text.matchAll(/^pulse_ingest_consumer_lag\{[^}]*\} (\d+)/gm)].map((m) =>
        Number(m[1]),
      );
      return values.length === 0 ? Number.POSITIVE_INFINITY : values.reduce((a, b) => a + b, 0);
    };
    let caughtUp = 0;
    for (let i = 0; i < 200 && caughtUp < 3; i++) {
      caughtUp = (await lag()) === 0 ? caughtUp + 1 : 0;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(caughtUp).toBe(3);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));

    const warehouse = await createWarehouse({
      url: undefined,
      user: 'default',
      password: '',
      database: 'pulse',
      cluster: undefined,
      dataPath: join(dataDir, 'warehouse'),
    });
    const rows = await (
      await warehouse.client.query({
        query: "SELECT event_id FROM product_events WHERE event = 'Crash Test'",
        format: 'JSONEachRow',
      })
    ).json<{ event_id: string }>();
    await warehouse.close();
    const ids = rows.map((r) => r.event_id);
    const unique = new Set(ids);
    console.info(
      `crash recovery: ${acknowledged.size} acknowledged, ${ambiguous.size} in flight at a kill, ${ids.length} rows, ${unique.size} distinct`,
    );
    expect(acknowledged.size).toBeGreaterThan(1000);
    expect(ids.length).toBe(unique.size); // count() = uniqExact(event_id): nothing duplicated
    const lost = [...acknowledged].filter((id) => !unique.has(id));
    expect(lost).toEqual([]); // nothing acknowledged lost
    const unexplained = [...unique].filter((id) => !acknowledged.has(id) && !ambiguous.has(id));
    expect(unexplained).toEqual([]);
  }, 240_000);
});
