/**
 * How a coordinator operation fails, and the Kafka error it answers.
 *
 * Inside the coordinator a failure travels as a rejected promise; the service that scheduled
 * the operation turns it into the error code of its response (Kafka error codes are data at
 * the API boundary). Two kinds:
 * - CoordinatorError: the runtime did not run the operation (NOT_COORDINATOR for a partition
 *   this broker does not lead or that was unloaded, COORDINATOR_LOAD_IN_PROGRESS while loading).
 * - CoordinatorWriteError: what a PartitionWriter throws when an append fails, with the raw
 *   Kafka error of the append; coordinatorErrorFor maps it as Kafka does.
 * Anything else is a bug and is answered UNKNOWN_SERVER_ERROR.
 */
import { ErrorCode } from '../../protocol/error-codes.js';

export class CoordinatorError extends Error {
  constructor(readonly errorCode: number, message: string) {
    super(message);
    this.name = 'CoordinatorError';
  }
}

export class CoordinatorWriteError extends Error {
  constructor(readonly errorCode: number, message: string) {
    super(message);
    this.name = 'CoordinatorWriteError';
  }
}

/** True for the failures coordinatorErrorFor maps (the others are bugs). */
export function isCoordinatorFailure(err: unknown): err is CoordinatorError | CoordinatorWriteError {
  return err instanceof CoordinatorError || err instanceof CoordinatorWriteError;
}

/**
 * Kafka's mapping of a failed coordinator operation to the error the request answers
 * (GroupCoordinatorService.normalizeException, and the transaction coordinator's equivalent):
 * unavailable partition or replicas and timeouts → COORDINATOR_NOT_AVAILABLE, a lost
 * leadership or a storage error → NOT_COORDINATOR, a batch too large → UNKNOWN_SERVER_ERROR;
 * any other Kafka error is answered as it is, and anything that is not a Kafka error is
 * UNKNOWN_SERVER_ERROR.
 */
export function coordinatorErrorFor(err: unknown): number {
  if (err instanceof CoordinatorError) return err.errorCode;
  const code = err instanceof CoordinatorWriteError ? err.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

/** The raw append error of a failed write (UNKNOWN_SERVER_ERROR if it was not a Kafka error). */
export function appendErrorFor(err: unknown): number {
  return err instanceof CoordinatorWriteError ? err.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
}
