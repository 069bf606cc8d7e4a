/**
 * How the transaction coordinator ends a transaction on its partitions: the COMMIT/ABORT
 * markers, written through a TransactionMarkerWriter, with Kafka's retries
 * (TransactionMarkerChannelManager + TransactionMarkerRequestCompletionHandler).
 *
 * The writer is the seam between the coordinator and the partitions: on one broker a local
 * writer appends a control batch to each partition (and hands `__consumer_offsets` partitions
 * to the group coordinator, which must also apply the marker to its pending offsets); in a
 * cluster it will send WriteTxnMarkers to each partition's leader. Contract of `writeMarkers`:
 * every partition of the marker gets an answer, a Kafka error code; NONE means the marker is
 * in that partition's log (acks=all), or that the metadata no longer names the partition
 * (Kafka skips deleted partitions). It may reject (a bug or a network failure): every
 * partition is then retried.
 *
 * `sendMarkers` retries what failed, partition by partition, with a doubling backoff on the
 * injected clock, until every partition has its marker ('written'), the coordinator lost the
 * transaction's partition ('cancelled': `isCurrent()` turned false — the next coordinator
 * resends them when it loads), or an answer says the transaction must not be completed here
 * ('abandoned': INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED — a newer epoch owns
 * the producer; or an error Kafka treats as a bug). Per answer:
 *   NONE, UNSUPPORTED_FOR_MESSAGE_FORMAT, UNSUPPORTED_VERSION   done (the latter two: skipped)
 *   INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED       abandoned
 *   CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE,
 *   INVALID_REQUIRED_ACKS                                        abandoned, logged as a bug
 *   anything else (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS*,
 *   REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR, ...)                 retried
 */
import { sleep, type Clock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { TransactionResult } from '../runtime/coordinator-shard.js';
import type { TopicPartition } from './records.js';

export interface TransactionMarker {
  /** For log lines only: markers carry no transactional id. */
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  /** The leader epoch of the coordinator's `__transaction_state` partition. */
  coordinatorEpoch: number;
  result: TransactionResult;
  partitions: readonly TopicPartition[];
}

export interface MarkerWriteResult {
  topic: string;
  partition: number;
  errorCode: number;
}

export interface TransactionMarkerWriter {
  writeMarkers(marker: TransactionMarker): Promise<MarkerWriteResult[]>;
}

export type MarkerOutcome = 'written' | 'cancelled' | 'abandoned';

export interface MarkerRetryOptions {
  clock: Clock;
  logger: Logger;
  /** First retry delay; it doubles up to retryBackoffMaxMs. */
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
}

type Verdict = 'done' | 'retry' | 'abandon' | 'bug';

function verdictFor(errorCode: number): Verdict {
  switch (errorCode) {
    case ErrorCode.NONE:
    case ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case ErrorCode.UNSUPPORTED_VERSION:
      return 'done';
    case ErrorCode.INVALID_PRODUCER_EPOCH:
    case ErrorCode.TRANSACTION_COORDINATOR_FENCED:
      return 'abandon';
    case ErrorCode.CORRUPT_MESSAGE:
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_REQUIRED_ACKS:
      return 'bug';
    default:
      return 'retry';
  }
}

export async function sendMarkers(
  writer: TransactionMarkerWriter, marker: TransactionMarker, isCurrent: () => boolean, options: MarkerRetryOptions,
): Promise<MarkerOutcome> {
  let remaining = [...marker.partitions];
  let backoffMs = options.retryBackoffMs;
  const where = { transactionalId: marker.transactionalId, producerId: marker.producerId, producerEpoch: marker.producerEpoch, result: marker.result };
  while (remaining.length > 0) {
    if (!isCurrent()) return 'cancelled';
    let results: MarkerWriteResult[];
    try {
      results = await writer.writeMarkers({ ...marker, partitions: remaining });
    } catch (err) {
      options.logger.warn('writing transaction markers failed; retrying', { ...where, error: String(err) });
      results = remaining.map((tp) => ({ ...tp, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR }));
    }
    if (!isCurrent()) return 'cancelled';
    const retry: TopicPartition[] = [];
    for (const tp of remaining) {
      const r = results.find((x) => x.topic === tp.topic && x.partition === tp.partition);
      const errorCode = r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      const verdict = verdictFor(errorCode);
      if (verdict === 'retry') retry.push(tp);
      else if (verdict === 'abandon') {
        options.logger.info('a transaction marker was refused; the transaction is left to a newer epoch', { ...where, topic: tp.topic, partition: tp.partition, errorCode });
        return 'abandoned';
      } else if (verdict === 'bug') {
        options.logger.error('a transaction marker failed in a way that should not happen; giving up on it', { ...where, topic: tp.topic, partition: tp.partition, errorCode });
        return 'abandoned';
      }
    }
    remaining = retry;
    if (remaining.length > 0) {
      await sleep(options.clock, backoffMs);
      backoffMs = Math.min(backoffMs * 2, options.retryBackoffMaxMs);
    }
  }
  return 'written';
}
