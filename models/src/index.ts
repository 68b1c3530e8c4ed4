export * from './metrics/catalog.ts';
