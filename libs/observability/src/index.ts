// Public surface of @tessera/observability: the Logger interface, its pino implementation with
// Dapr's log fields, and secret redaction for log fields.
export type { Logger, LogLevel, LogFields, LogDestination, LoggerOptions } from './logger';
export { LOG_LEVELS, isLogLevel, createLogger, noopLogger } from './logger';
export { formatTextLine } from './text-format';
export { REDACTED, redact, isSecretName, redactUrlCredentials } from './redact';
