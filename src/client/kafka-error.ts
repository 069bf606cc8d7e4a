/**
 * A Kafka error code returned by a broker, thrown by the client's helpers (the raw `request`
 * API returns codes as data and never throws them).
 */
import { BrokerError } from '../base/errors.js';
import { ErrorCode, errorName } from '../protocol/error-codes.js';

export class KafkaError extends BrokerError {
  readonly errorCode: number;
  readonly errorName: string;
  constructor(errorCode: number, context: string, errorMessage?: string | null) {
    super('SHERWOOD_CLIENT', `${context}: ${errorName(errorCode)} (${errorCode})${errorMessage ? `: ${errorMessage}` : ''}`);
    this.name = 'KafkaError';
    this.errorCode = errorCode;
    this.errorName = errorName(errorCode);
  }

  get retriable(): boolean {
    return RETRIABLE.has(this.errorCode);
  }
}

/** Codes after which a client refreshes metadata / waits and tries again, as Kafka's clients do. */
export const RETRIABLE: ReadonlySet<number> = new Set<number>([
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_TOPIC_ID,
]);

/**
 * A producer error after which the producer cannot go on (Java's fatal errors: fenced by a newer
 * producer with the same transactional.id, not authorized, a broken transaction state): every
 * later call fails with it, and the producer must be closed.
 */
export class FatalProducerError extends BrokerError {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super('SHERWOOD_CLIENT', message);
    this.name = 'FatalProducerError';
    this.errorCode = errorCode;
  }
}

/**
 * An error that dooms the current transaction but not the producer (Java's abortable errors: a
 * failed batch, an unknown producer id, a failed offset commit): commit fails with it until the
 * transaction is aborted.
 */
export class AbortableTransactionError extends BrokerError {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super('SHERWOOD_CLIENT', message);
    this.name = 'AbortableTransactionError';
    this.errorCode = errorCode;
  }
}
