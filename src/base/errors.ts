/**
 * Operating failures (disk, socket, timeout, bad configuration) throw a BrokerError with a
 * stable `code`. Kafka error codes are data in responses and are never thrown; broken
 * invariants use assert and crash. Every code is listed in docs/errors.md (a test checks it).
 */
export const BROKER_ERROR_CODES = [
  'SHERWOOD_CONFIG',
  'SHERWOOD_STORAGE',
  'SHERWOOD_CORRUPT',
  'SHERWOOD_NETWORK',
  'SHERWOOD_PROTOCOL',
  'SHERWOOD_TIMEOUT',
  'SHERWOOD_CLIENT',
] as const;

export type BrokerErrorCode = (typeof BROKER_ERROR_CODES)[number];

export class BrokerError extends Error {
  readonly code: BrokerErrorCode;

  constructor(code: BrokerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'BrokerError';
  }
}

export class ConfigError extends BrokerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SHERWOOD_CONFIG', message, options);
    this.name = 'ConfigError';
  }
}

export class StorageError extends BrokerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SHERWOOD_STORAGE', message, options);
    this.name = 'StorageError';
  }
}

export class CorruptRecordError extends BrokerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SHERWOOD_CORRUPT', message, options);
    this.name = 'CorruptRecordError';
  }
}

/** A request that cannot be decoded; the connection that sent it is closed. */
export class ProtocolError extends BrokerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SHERWOOD_PROTOCOL', message, options);
    this.name = 'ProtocolError';
  }
}
