import type { Counter } from '@pulse/core';
import type { ConsumedMessage } from '../bus/index.ts';
import { decodeStep, enrichStep, type RowOut, type Step, toRowStep, validateStep } from './steps.ts';

export interface DeadLetter {
  message: ConsumedMessage;
  step: string;
  reason: string;
  detail: string;
}

/** The ingest pipeline as a list you can read: decode → validate → enrich → to row. */
export const ingestSteps = [decodeStep, validateStep, enrichStep(), toRowStep] as const;

/**
 * Runs every message through the steps; each outcome is a value, counted per step. Messages end
 * as rows or as dead letters naming the step and the reason — never dropped silently.
 */
export function runPipeline(
  messages: ConsumedMessage[],
  counter?: Counter<'step' | 'outcome'>,
): { rows: RowOut[]; deadLetters: DeadLetter[] } {
  const rows: RowOut[] = [];
  const deadLetters: DeadLetter[] = [];
  const steps = ingestSteps as readonly Step<unknown, unknown>[];
  // Outcomes are tallied per batch and counted once per step and outcome (a labelled counter
  // increment per event and step cost more than the steps themselves).
  const passed = steps.map(() => 0);
  for (const message of messages) {
    let value: unknown = message;
    let failed = false;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const outcome = step.run(value);
      if (!outcome.ok) {
        counter?.inc({ step: step.name, outcome: outcome.reason });
        deadLetters.push({ message, step: step.name, reason: outcome.reason, detail: outcome.detail });
        failed = true;
        break;
      }
      passed[i]!++;
      value = outcome.value;
    }
    if (!failed) rows.push(value as RowOut);
  }
  steps.forEach((step, i) => {
    if (passed[i]! > 0) counter?.inc({ step: step.name, outcome: 'ok' }, passed[i]!);
  });
  return { rows, deadLetters };
}
