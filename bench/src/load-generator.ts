// A load generator in its own process, so that sending requests does not share the server's event
// loop: `node bench/src/load-generator.ts <url> <bodies.jsonl> <connections> <authorization>`.
// Loads the bodies, prints `ready`, waits for a line on stdin, then posts every line as one request
// and prints `{"acknowledged":N,"cpuMicros":N}` — the events acknowledged and its own CPU from the
// start signal on (loading the bodies is not part of the measured run). Exits non-zero on an
// unexpected status. Loopback targets only.
//
// Plain `node:http` over a keep-alive agent with one socket per connection and the bodies as
// ready Buffers: the generator shares the machine's two cores with what it measures, and fetch
// (undici) cost about twice its CPU per request here.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [url, file, connections, authorization] = process.argv.slice(2) as [string, string, string, string];
if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url))
  throw new Error(`refusing a non-loopback target: ${url}`);
const target = new URL(url);
const bodies = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => Buffer.from(line));
const agent = new Agent({ keepAlive: true, maxSockets: Number(connections) });

function post(body: Buffer): Promise<{ status: number; accepted: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length, authorization },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { accepted?: number };
          resolve({ status: res.statusCode ?? 0, accepted: answer.accepted ?? 0 });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
const cpuAtStart = process.cpuUsage();
let next = 0;
let acknowledged = 0;
await Promise.all(
  Array.from({ length: Number(connections) }, async () => {
    while (next < bodies.length) {
      const answer = await post(bodies[next++]!);
      if (answer.status !== 200) throw new Error(`collector answered ${answer.status}`);
      acknowledged += answer.accepted;
    }
  }),
);
agent.destroy();
const cpu = process.cpuUsage(cpuAtStart);
console.log(JSON.stringify({ acknowledged, cpuMicros: cpu.user + cpu.system }));
