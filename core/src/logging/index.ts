export { createLogger, redactedLogPaths, type Logger } from './create-logger.ts';
