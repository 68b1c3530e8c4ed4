import { type Tracer, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TelemetryConfig } from '../config/index.ts';

export interface Tracing {
  tracer: Tracer;
  /** Present when spans are kept in memory (tests, or no OTLP endpoint): read finished spans here. */
  memoryExporter: InMemorySpanExporter | undefined;
  shutdown(): Promise<void>;
}

let installed: Tracing | undefined;

/**
 * Sets up OpenTelemetry tracing once per process: spans go to the OTLP endpoint when configured,
 * else to an in-memory exporter (bounded: it is reset when it holds too many spans). A second call
 * returns the first setup, because the global tracer provider can only be registered once.
 */
export function setupTracing(
  config: TelemetryConfig,
  options: { version?: string; exporter?: SpanExporter } = {},
): Tracing {
  if (installed) return installed;
  const memoryExporter = config.otlpEndpoint || options.exporter ? undefined : new InMemorySpanExporter();
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  else if (config.otlpEndpoint) {
    processors.push(
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: `${config.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }),
      ),
    );
  } else if (memoryExporter) processors.push(new BoundedMemoryProcessor(memoryExporter, 10_000));

  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_VERSION]: options.version ?? '0.0.0',
    }),
    spanProcessors: processors,
  });
  provider.register();
  installed = {
    tracer: trace.getTracer('pulse', options.version),
    memoryExporter,
    async shutdown() {
      await provider.shutdown();
      installed = undefined;
    },
  };
  return installed;
}

class BoundedMemoryProcessor extends SimpleSpanProcessor {
  private readonly memory: InMemorySpanExporter;
  private readonly limit: number;
  constructor(memory: InMemorySpanExporter, limit: number) {
    super(memory);
    this.memory = memory;
    this.limit = limit;
  }
  override onEnd(span: Parameters<SimpleSpanProcessor['onEnd']>[0]): void {
    if (this.memory.getFinishedSpans().length >= this.limit) this.memory.reset();
    super.onEnd(span);
  }
}
