import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/index.ts';
import { createMetricsRegistry, setupTracing } from './index.ts';

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, stream };
}

describe('telemetry', () => {
  it('serves default process metrics in Prometheus text format', async () => {
    const registry = createMetricsRegistry();
    const text = await registry.metrics();
    expect(text).toContain('# TYPE pulse_process_cpu_user_seconds_total counter');
    expect(text).toContain('pulse_nodejs_eventloop_lag_seconds');
  });

  it('records spans in memory and stamps log lines with the active trace id', async () => {
    const tracing = setupTracing({ serviceName: 'pulse-test', otlpEndpoint: undefined });
    const { lines, stream } = captureLogs();
    const logger = createLogger({ level: 'info', serviceName: 'pulse-test' }, stream);
    let traceId = '';
    tracing.tracer.startActiveSpan('ingest batch', (span) => {
      traceId = span.spanContext().traceId;
      logger.info({ rows: 3 }, 'inserted');
      span.end();
    });
    expect(lines[0]).toMatchObject({
      msg: 'inserted',
      trace_id: traceId,
      service: 'pulse-test',
      level: 'info',
    });
    expect(tracing.memoryExporter?.getFinishedSpans().map((s) => s.name)).toContain('ingest batch');
    await tracing.shutdown();
  });

  it('redacts personal data and secrets from log lines', () => {
    const { lines, stream } = captureLogs();
    const logger = createLogger({ level: 'info', serviceName: 'pulse-test' }, stream);
    logger.info(
      { traits: { email: 'ada@example.com' }, writeKey: 'wk_live_123', user: { password: 'x' } },
      'identify',
    );
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('ada@example.com');
    expect(text).not.toContain('wk_live_123');
    expect(text).toContain('[redacted]');
  });
});
