export { PulseError, isPulseError, toPulseError, type PulseErrorOptions } from './pulse-error.ts';
