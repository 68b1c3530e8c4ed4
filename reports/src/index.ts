export * from './renderers/index.ts';
export * from './definitions/index.ts';
export * from './delivery/index.ts';
export * from './scheduler/index.ts';
