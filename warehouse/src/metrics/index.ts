export * from './definition.ts';
export * from './sources.ts';
export * from './query.ts';
export * from './time-range.ts';
export * from './compile-query.ts';
export * from './run-metric-query.ts';
export * from './analyses.ts';
export * from '../policy/index.ts';
