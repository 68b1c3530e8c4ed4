export * from './renderers/index.ts';
