export { registerCollector, type CollectorOptions, type WriteKeyOwner } from './register-collector.ts';
export { acceptEvents } from './accept-events.ts';
export { createRateLimiter } from './rate-limiter.ts';
