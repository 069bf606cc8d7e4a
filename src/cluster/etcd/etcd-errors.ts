/**
 * Failures talking to etcd, as BrokerError subclasses (docs/errors.md):
 *
 *   EtcdUnavailableError   SHERWOOD_NETWORK  no endpoint answered within the request timeout
 *                                            (refused, reset, timed out, or etcd said
 *                                            UNAVAILABLE: no leader, leader changed)
 *   EtcdRequestError       SHERWOOD_STORAGE  etcd answered with an error that retrying will not
 *                                            fix (a request too large, a bad argument); `grpcCode`
 *                                            is etcd's gRPC status code
 *   EtcdCompactedError     SHERWOOD_STORAGE  a read or watch at a revision etcd has compacted
 *                                            away; the caller must reload from the current state
 *   EtcdLeaseNotFoundError SHERWOOD_STORAGE  the lease expired or was revoked
 *   DuplicateBrokerIdError SHERWOOD_CONFIG   another live broker holds this node id
 *
 * `outcomeUnknown` on EtcdUnavailableError marks a write whose connection broke after it was
 * sent: etcd may have applied it. The client already retried what was safe to retry until its
 * deadline.
 */
import { BrokerError, ConfigError } from '../../base/errors.js';

/** gRPC status codes etcd answers with (google.golang.org/grpc/codes). */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  OUT_OF_RANGE: 11,
  UNAVAILABLE: 14,
} as const;

export class EtcdUnavailableError extends BrokerError {
  /** A write that may or may not have been applied (the connection broke after sending it). */
  readonly outcomeUnknown: boolean;

  constructor(message: string, options?: { cause?: unknown; outcomeUnknown?: boolean }) {
    super('SHERWOOD_NETWORK', message, options);
    this.name = 'EtcdUnavailableError';
    this.outcomeUnknown = options?.outcomeUnknown === true;
  }
}

export class EtcdRequestError extends BrokerError {
  constructor(readonly grpcCode: number, message: string, options?: { cause?: unknown }) {
    super('SHERWOOD_STORAGE', message, options);
    this.name = 'EtcdRequestError';
  }
}

export class EtcdCompactedError extends EtcdRequestError {
  /** The revision etcd compacted to (0 when etcd did not say). */
  constructor(readonly compactRevision: number, message: string) {
    super(GrpcCode.OUT_OF_RANGE, message);
    this.name = 'EtcdCompactedError';
  }
}

export class EtcdLeaseNotFoundError extends EtcdRequestError {
  constructor(readonly leaseId: string, message = `etcd lease ${leaseId} not found (expired or revoked)`) {
    super(GrpcCode.NOT_FOUND, message);
    this.name = 'EtcdLeaseNotFoundError';
  }
}

/** Kafka refuses a second broker registering a node id that a live broker holds. */
export class DuplicateBrokerIdError extends ConfigError {
  constructor(readonly brokerId: number, message: string) {
    super(message);
    this.name = 'DuplicateBrokerIdError';
  }
}
