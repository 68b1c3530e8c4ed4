export * from './simulator/index.ts';
export {
  loadDemoHistory,
  startDemo,
  type DemoProgress,
  type LoadDemoOptions,
  type RunningDemo,
} from './demo/load-demo.ts';
export * from './bus/index.ts';
export * from './ingester/index.ts';
export * from './collector/index.ts';
