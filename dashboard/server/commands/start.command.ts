import { startPulse } from '../start-pulse.ts';

/** `pulse start`: runs until SIGTERM/SIGINT, then shuts down within PULSE_SHUTDOWN_TIMEOUT_MS. */
export async function runStart(env: Record<string, string | undefined>): Promise<void> {
  const pulse = await startPulse(env);
  const { logger, config } = pulse.services;
  console.log(`\n  Pulse ${pulse.services.version} is running on ${pulse.url}\n`);

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
