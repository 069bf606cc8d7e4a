/**
 * The transaction coordinator's settings (Kafka's TransactionConfig / TransactionStateManagerConfig
 * and TransactionLogConfig), filled from the broker configuration by src/server/transaction-runtime.ts.
 */
export interface TransactionCoordinatorConfig {
  /** The partition count of `__transaction_state` (fixed once the topic exists). */
  transactionStateLogNumPartitions: number;
  /** transaction.max.timeout.ms: a larger transaction.timeout.ms is INVALID_TRANSACTION_TIMEOUT. */
  transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms: an idle transactional id is removed after this long. */
  transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortTimedOutTransactionsIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  removeExpiredTransactionalIdsIntervalMs: number;
  /** First delay before a failed marker (or completion) is retried; it doubles up to the max. */
  markerRetryBackoffMs: number;
  markerRetryBackoffMaxMs: number;
  /**
   * The cluster's finalized transaction.version (0-2): ≥ 1 writes TransactionLogValue v1,
   * 2 makes the coordinator's own aborts (fencing, timeouts) bump the epoch as Transaction V2
   * does (Kafka's transactionVersionLevel). What a client's request does depends on its version.
   */
  readonly transactionVersionLevel: number;
}

/** Kafka's defaults. */
export const DEFAULT_TRANSACTION_COORDINATOR_CONFIG: TransactionCoordinatorConfig = {
  transactionStateLogNumPartitions: 50,
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  abortTimedOutTransactionsIntervalMs: 10_000,
  removeExpiredTransactionalIdsIntervalMs: 3_600_000,
  markerRetryBackoffMs: 100,
  markerRetryBackoffMaxMs: 1_000,
  transactionVersionLevel: 0,
};
