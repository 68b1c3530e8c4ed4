import { Counter, createMetricsRegistry, examples } from '@pulse/core';
import { describe, expect, it } from 'vitest';
import { type ConsumedMessage, validatedHeader, validatedMark } from '../bus/index.ts';
import { acceptEvents } from '../collector/accept-events.ts';
import { createSimulator } from '../simulator/index.ts';
import { runPipeline } from './run-pipeline.ts';

const message = (value: unknown, headers: Record<string, string> = {}, offset = 0): ConsumedMessage => ({
  topic: 'pulse.events.product',
  partition: 0,
  offset,
  key: 'ws:user',
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers,
  timestamp: 0,
});

const product = examples.find((e) => e.family === 'product')!;
// Valid JSON, invalid contract: a product event without its required event id.
const { eventId: _dropped, ...withoutId } = product as Record<string, unknown>;

describe('ingest pipeline', () => {
  it('turns valid events into rows and dead-letters the rest with the step and reason', () => {
    const { rows, deadLetters } = runPipeline([
      message(product, {}, 0),
      message('{not json', {}, 1),
      message(withoutId, {}, 2),
    ]);
    expect(rows.map((r) => [r.table, r.row.event_id])).toEqual([['product_events', product.eventId]]);
    expect(deadLetters.map((d) => [d.message.offset, d.step, d.reason])).toEqual([
      [1, 'decode', 'invalid_json'],
      [2, 'validate', 'contract_violation'],
    ]);
  });

  it('validates in full unless the collector marked the event validated against this contract', () => {
    const unmarked = runPipeline([message(withoutId, { [validatedHeader]: 'v0' })]);
    expect(unmarked.deadLetters.map((d) => d.reason)).toEqual(['contract_violation']);
    // The mark is the collector's promise that parseEvent already passed: the ingester takes it.
    const marked = runPipeline([message(product, { [validatedHeader]: validatedMark })]);
    expect(marked.rows).toHaveLength(1);
    // A marked message that is not a JSON object still fails validation.
    const notObject = runPipeline([message([1, 2], { [validatedHeader]: validatedMark })]);
    expect(notObject.deadLetters.map((d) => d.reason)).toEqual(['contract_violation']);
  });

  it('counts every step outcome once per event, tallied per batch', async () => {
    const registry = createMetricsRegistry();
    const counter = new Counter({
      name: 'steps_total',
      help: 'steps',
      labelNames: ['step', 'outcome'],
      registers: [registry],
    });
    runPipeline([message(product, {}, 0), message(product, {}, 1), message('{', {}, 2)], counter);
    const values = (await counter.get()).values.map((v) => [v.labels.step, v.labels.outcome, v.value]);
    expect(values).toEqual(
      expect.arrayContaining([
        ['decode', 'ok', 2],
        ['decode', 'invalid_json', 1],
        ['validate', 'ok', 2],
        ['enrich', 'ok', 2],
        ['to_row', 'ok', 2],
      ]),
    );
    expect(values).toHaveLength(5);
  });

  it("takes the producer's decoded value handed over in process, with the same rows as from the bytes", () => {
    // What the collector puts on the bus: the demo mix's events (every family) as HTTP bodies
    // carry them, validated by acceptEvents; the embedded log hands each one over as `payload`.
    const [batch] = createSimulator({
      seed: 7,
      workspaceId: 'ws_t',
      days: 2,
      targetEvents: 2000,
    }).historyBatches(2000);
    const items = JSON.parse(JSON.stringify(batch)) as unknown[];
    const { events, rejected } = acceptEvents(items, 'ws_t', 'native', new Date('2026-11-24T10:00:00Z'));
    expect(rejected).toEqual([]);
    expect(new Set(events.map((e) => e.family)).size).toBeGreaterThan(2);
    const headers = { [validatedHeader]: validatedMark };
    const fromBytes = runPipeline(events.map((e, i) => message(e, headers, i)));
    const handedOver = runPipeline(events.map((e, i) => ({ ...message(e, headers, i), payload: e })));
    expect(fromBytes.deadLetters).toEqual([]);
    expect(handedOver.rows.map((r) => [r.table, r.row])).toEqual(fromBytes.rows.map((r) => [r.table, r.row]));
    // The decoded value is taken as it is: the bytes are not parsed again.
    const unparsed = runPipeline([{ ...message('{not json', headers), payload: product }]);
    expect(unparsed.rows.map((r) => r.row.event_id)).toEqual([product.eventId]);
  });
});
