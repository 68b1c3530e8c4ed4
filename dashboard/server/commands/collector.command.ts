import { loadConfig } from '@pulse/core';
import { startCollector } from '../start-collector.ts';

/** `pulse collector`: the collector role alone, until SIGTERM/SIGINT (then it drains and stops). */
export async function runCollector(env: Record<string, string | undefined>): Promise<void> {
  const { server } = loadConfig(env);
  const collector = await startCollector(env);
  console.log(`\n  Pulse collector is running on ${collector.url} (POST /v1/batch, /v1/events …)\n`);
  let signalled = false;
  const shutdown = () => {
    if (signalled) return;
    signalled = true;
    const deadline = setTimeout(() => process.exit(1), server.shutdownTimeoutMs);
    deadline.unref();
    collector.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
