export * from './metrics/catalog.ts';
export * from './metrics/kpi-fixture.ts';
