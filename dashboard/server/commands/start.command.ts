import { startPulse } from '../start-pulse.ts';

/** `pulse start`: runs until SIGTERM/SIGINT, then shuts down within PULSE_SHUTDOWN_TIMEOUT_MS. */
export async function runStart(env: Record<string, string | undefined>): Promise<void> {
  const pulse = await startPulse(env);
  const { logger, config } = pulse.services;
  console.log(`\n  Pulse ${pulse.services.version} is running on ${pulse.url}\n`);
  const keys = Object.entries(pulse.newWriteKeys);
  if (keys.length > 0) {
    console.log('  Write keys of the demo workspace (shown once, keep them):');
    for (const [family, key] of keys) console.log(`    ${family.padEnd(8)} ${key}`);
    console.log(
      `\n  Try: curl -u ${pulse.newWriteKeys.product}: -H 'content-type: application/json' \\\n         -d '{"userId":"u1","event":"Signed Up"}' ${pulse.url}/v1/track\n`,
    );
  }

  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.server.shutdownTimeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.server.shutdownTimeoutMs);
    deadline.unref();
    pulse.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
