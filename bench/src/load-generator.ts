// A load generator in its own process, so that sending requests does not share the server's event
// loop: `node bench/src/load-generator.ts <url> <bodies.jsonl> <connections> <authorization>`.
// Posts every line as one request, prints the number of events acknowledged, exits non-zero on an
// unexpected status. Loopback targets only.
import { readFileSync } from 'node:fs';

const [url, file, connections, authorization] = process.argv.slice(2) as [string, string, string, string];
if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url))
  throw new Error(`refusing a non-loopback target: ${url}`);
const bodies = readFileSync(file, 'utf8').split('\n').filter(Boolean);
let next = 0;
let acknowledged = 0;
await Promise.all(
  Array.from({ length: Number(connections) }, async () => {
    while (next < bodies.length) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: bodies[next++]!,
      });
      const answer = (await res.json()) as { accepted?: number };
      if (res.status !== 200) throw new Error(`collector answered ${res.status}`);
      acknowledged += answer.accepted ?? 0;
    }
  }),
);
console.log(acknowledged);
