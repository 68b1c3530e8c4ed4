import { type PulseEvent, parseEvent } from '@pulse/core';
import { type Row, type TableName, toRow } from '@pulse/warehouse';
import { type ConsumedMessage, validatedHeader, validatedMark } from '../bus/index.ts';

/** What a step makes of one message: a value to pass on, or a dead letter with a stable reason. */
export type StepOutcome<T> = { ok: true; value: T } | { ok: false; reason: string; detail: string };
export interface Step<In, Out> {
  name: string;
  run(input: In): StepOutcome<Out>;
}

export interface Decoded {
  message: ConsumedMessage;
  payload: unknown;
}
export interface Validated {
  message: ConsumedMessage;
  event: PulseEvent;
}
export interface RowOut {
  message: ConsumedMessage;
  event: PulseEvent;
  table: TableName;
  row: Row;
}

export const decodeStep: Step<ConsumedMessage, Decoded> = {
  name: 'decode',
  run(message) {
    // Handed over in process by the embedded log: the producer's own decoded value.
    if (message.payload !== undefined) return { ok: true, value: { message, payload: message.payload } };
    try {
      return { ok: true, value: { message, payload: JSON.parse(message.value.toString('utf8')) } };
    } catch (err) {
      return { ok: false, reason: 'invalid_json', detail: (err as Error).message };
    }
  },
};

/**
 * Contract validation. An event the collector already validated against this contract version
 * (its `validated-contract` header) is taken as it is — a second zod pass would cost ~6 µs per
 * event for nothing; anything else (other producers, other versions) is validated in full.
 */
export const validateStep: Step<Decoded, Validated> = {
  name: 'validate',
  run({ message, payload }) {
    if (
      message.headers[validatedHeader] === validatedMark &&
      typeof payload === 'object' &&
      payload !== null &&
      !Array.isArray(payload)
    )
      return { ok: true, value: { message, event: payload as PulseEvent } };
    const outcome = parseEvent(payload);
    if (outcome.ok) return { ok: true, value: { message, event: outcome.event } };
    return {
      ok: false,
      reason: 'contract_violation',
      detail: outcome.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '),
    };
  },
};

/** The enrichment hook: sentiment, language and content quality plug in here. */
export function enrichStep(enrich?: (event: PulseEvent) => PulseEvent): Step<Validated, Validated> {
  // Without an enricher the step passes its input on as it is (no copy per event).
  if (!enrich) return { name: 'enrich', run: (input) => ({ ok: true, value: input }) };
  return { name: 'enrich', run: (input) => ({ ok: true, value: { ...input, event: enrich(input.event) } }) };
}

export const toRowStep: Step<Validated, RowOut> = {
  name: 'to_row',
  run({ message, event }) {
    const [table, row] = toRow(event);
    return { ok: true, value: { message, event, table, row } };
  },
};
