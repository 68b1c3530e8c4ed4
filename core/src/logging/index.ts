export { createLogger, redactedLogPaths, type Logger } from './create-logger.ts';
export { contractPiiPaths, maskEmails, maskPii } from './mask-pii.ts';
