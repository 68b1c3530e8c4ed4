import { describe, expect, it } from 'vitest';
import { cutBatch, intentMetadata, parseIntent } from './batch-intent.ts';

const fetched = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ offset: from + i }));

describe('batch intent', () => {
  it('round-trips the last offset through the commit metadata and ignores foreign metadata', () => {
    expect(parseIntent(intentMetadata(41))).toBe(41);
    expect(parseIntent('')).toBeUndefined();
    expect(parseIntent(null)).toBeUndefined();
    expect(parseIntent('written by another tool')).toBeUndefined();
    expect(parseIntent('pulse-intent:v1:-3')).toBeUndefined();
  });

  it('cuts a fresh batch at the message limit when no intent is pending', () => {
    const cut = cutBatch(fetched(10, 30), { committed: 10, intentLast: undefined }, 5);
    expect(cut).toEqual({ kind: 'hand', messages: fetched(10, 14), replay: false });
    expect(cutBatch(fetched(0, 3), { committed: undefined, intentLast: undefined }, 5)).toEqual({
      kind: 'hand',
      messages: fetched(0, 3),
      replay: false,
    });
  });

  it('hands out exactly the intended range again, however much more was fetched', () => {
    const cut = cutBatch(fetched(10, 500), { committed: 10, intentLast: 17 }, 1000);
    expect(cut).toEqual({ kind: 'hand', messages: fetched(10, 17), replay: true });
  });

  it('fetches again when the fetch holds less than the intended range', () => {
    expect(cutBatch(fetched(10, 12), { committed: 10, intentLast: 17 }, 1000)).toEqual({
      kind: 'wait',
      offset: 10,
    });
  });

  it('seeks to the committed offset when the fetch started before it', () => {
    expect(cutBatch(fetched(10, 20), { committed: 15, intentLast: 18 }, 1000)).toEqual({
      kind: 'seek',
      offset: 15,
    });
  });

  it('starts from what Kafka has when the committed offset fell out of retention', () => {
    const cut = cutBatch(fetched(50, 52), { committed: 10, intentLast: 17 }, 1000);
    expect(cut).toEqual({ kind: 'hand', messages: fetched(50, 52), replay: false });
  });
});
