export { createSimulator, type Simulator, type SimulatorOptions } from './create-simulator.ts';
export { createRandom, type Random } from './prng.ts';
