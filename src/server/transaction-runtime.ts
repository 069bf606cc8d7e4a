/**
 * Wires the transaction coordinator (src/coordinator/transaction, run by src/coordinator/runtime)
 * to the broker, as group-runtime.ts does for groups. It is `broker.transactions`; the
 * transactional handlers use `availability()` and then `service`.
 *
 * - Writer: one batch appended to the shard's `__transaction_state` partition as its leader
 *   (origin coordinator), acks=-1, timeout request.timeout.ms (Kafka's TransactionStateManager);
 *   an append error becomes a CoordinatorWriteError carrying Kafka's error code.
 * - Loader: the partition up to its high watermark (internalTopicLoader).
 * - Leadership: a LeadershipListener of the ReplicaManager for `__transaction_state`: a shard
 *   loads when this broker becomes the partition's leader and unloads when it stops being it.
 *   The coordinator epoch written into markers is that partition's leader epoch.
 * - Markers: LocalTransactionMarkerWriter (one broker): each partition's marker is appended as a
 *   control batch through the ReplicaManager (origin coordinator, acks=-1, request.timeout.ms);
 *   a `__consumer_offsets` partition goes to the group coordinator, which applies the marker to
 *   its pending transactional offsets and writes it. A partition the metadata no longer names is
 *   skipped, as Kafka's marker channel does. The WriteTxnMarkers handler uses the same
 *   `writeTxnMarkersLocally` (answering UNKNOWN_TOPIC_OR_PARTITION for such a partition). In a
 *   cluster a writer sending WriteTxnMarkers to each partition's leader takes its place.
 * - `availability()`: creates `__transaction_state` on first use (FindCoordinator key type 1,
 *   InitProducerId) and waits up to 5 s for the loads, as GroupRuntime does.
 * - `addOrVerify()`: KIP-890 for the produce path (and TxnOffsetCommit): Kafka's
 *   AddPartitionsToTxnManager — verify the partitions are in the producer's transaction
 *   (part 1), or add them (part 2, Produce v12 / TxnOffsetCommit v5) — through the
 *   AddPartitionsToTxnSender seam (local on one broker; in a cluster inter-broker-txn.ts sends it
 *   to the coordinator's broker, and its marker writer sends markers to each partition's leader),
 *   without creating the topic.
 */
import type { LeadershipListener } from '../cluster/replica-manager.js';
import { GROUP_METADATA_TOPIC_NAME, TRANSACTION_STATE_TOPIC_NAME } from '../cluster/topic-name.js';
import { CoordinatorWriteError } from '../coordinator/runtime/coordinator-errors.js';
import type { PartitionWriter, TransactionResult } from '../coordinator/runtime/coordinator-shard.js';
import type { TopicPartition } from '../coordinator/transaction/records.js';
import { DEFAULT_TRANSACTION_COORDINATOR_CONFIG, type TransactionCoordinatorConfig } from '../coordinator/transaction/transaction-config.js';
import { TransactionCoordinatorService } from '../coordinator/transaction/transaction-coordinator-service.js';
import type { MarkerWriteResult, TransactionMarker, TransactionMarkerWriter } from '../coordinator/transaction/transaction-markers.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ControlRecordType, encodeBatch } from '../protocol/records.js';
import type { Broker } from './broker.js';
import { internalTopicLoader } from './group-runtime.js';

/** How long a transactional request waits for the start-up load before answering COORDINATOR_LOAD_IN_PROGRESS. */
const READY_WAIT_MS = 5000;

/**
 * The coordinator's settings from the broker configuration (transactional.id.expiration.ms is
 * dynamic, so it is read each time it is used).
 */
export function transactionCoordinatorConfig(broker: Broker, numPartitions: number): TransactionCoordinatorConfig {
  const c = broker.config;
  return {
    transactionStateLogNumPartitions: numPartitions,
    transactionMaxTimeoutMs: c.getInt('transaction.max.timeout.ms'),
    get transactionalIdExpirationMs() { return c.getInt('transactional.id.expiration.ms'); },
    abortTimedOutTransactionsIntervalMs: c.getInt('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    removeExpiredTransactionalIdsIntervalMs: c.getInt('transaction.remove.expired.transaction.cleanup.interval.ms'),
    markerRetryBackoffMs: DEFAULT_TRANSACTION_COORDINATOR_CONFIG.markerRetryBackoffMs,
    markerRetryBackoffMaxMs: DEFAULT_TRANSACTION_COORDINATOR_CONFIG.markerRetryBackoffMaxMs,
    transactionVersionLevel: c.getInt('transaction.version'),
  };
}

function transactionLogWriter(broker: Broker): PartitionWriter {
  return {
    async append(partition, records) {
      const timeoutMs = broker.config.getInt('request.timeout.ms');
      const r = await broker.replicaManager.appendRecords(TRANSACTION_STATE_TOPIC_NAME, partition, records, { acks: -1, timeoutMs, origin: 'coordinator' });
      if (r.errorCode !== ErrorCode.NONE) throw new CoordinatorWriteError(r.errorCode, r.errorMessage ?? `append failed with ${r.errorCode}`);
      return r.lastOffset;
    },
  };
}

export interface LocalMarker {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  result: TransactionResult;
  partitions: readonly TopicPartition[];
}

/**
 * Writes a transaction's marker to partitions hosted here (Kafka's handleWriteTxnMarkersRequest):
 * per partition UNKNOWN_TOPIC_OR_PARTITION if the metadata does not name it; a
 * `__consumer_offsets` partition through the group coordinator (its coordinator errors become
 * NOT_LEADER_OR_FOLLOWER, which the transaction coordinator retries); any other partition as a
 * control batch (key: version 0 + ABORT 0 / COMMIT 1; value: version 0 + coordinator epoch;
 * transactional + control attributes, the producer id and epoch) appended with origin
 * coordinator and acks=-1. The answer is the append's error code.
 */
export async function writeTxnMarkersLocally(broker: Broker, marker: LocalMarker): Promise<MarkerWriteResult[]> {
  const timeoutMs = broker.config.getInt('request.timeout.ms');
  return Promise.all(marker.partitions.map(async ({ topic, partition }): Promise<MarkerWriteResult> => {
    if (!broker.replicaManager.inMetadata(topic, partition)) return { topic, partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (topic === GROUP_METADATA_TOPIC_NAME) {
      const groups = broker.groups.serviceIfStarted;
      if (groups === undefined) return { topic, partition, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
      const code = await groups.completeTransaction(partition, marker.producerId, marker.producerEpoch, marker.coordinatorEpoch, marker.result);
      const notReady = code === ErrorCode.COORDINATOR_NOT_AVAILABLE || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || code === ErrorCode.NOT_COORDINATOR;
      return { topic, partition, errorCode: notReady ? ErrorCode.NOT_LEADER_OR_FOLLOWER : code };
    }
    const batch = encodeBatch({
      timestamp: broker.clock.now(), records: [], producerId: marker.producerId, producerEpoch: marker.producerEpoch, transactional: true,
      control: { type: marker.result === 'COMMIT' ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch: marker.coordinatorEpoch },
    });
    const r = await broker.replicaManager.appendRecords(topic, partition, batch, { acks: -1, timeoutMs, origin: 'coordinator' });
    return { topic, partition, errorCode: r.errorCode };
  }));
}

/** The transaction coordinator's markers on one broker: every partition is local. */
export class LocalTransactionMarkerWriter implements TransactionMarkerWriter {
  constructor(private readonly broker: Broker) {}

  async writeMarkers(marker: TransactionMarker): Promise<MarkerWriteResult[]> {
    // A partition the metadata no longer names was deleted: Kafka's marker channel skips it.
    const gone = marker.partitions.filter((tp) => !this.broker.replicaManager.inMetadata(tp.topic, tp.partition));
    const present = marker.partitions.filter((tp) => this.broker.replicaManager.inMetadata(tp.topic, tp.partition));
    const written = present.length === 0 ? [] : await writeTxnMarkersLocally(this.broker, { ...marker, partitions: present });
    return [...gone.map((tp) => ({ ...tp, errorCode: ErrorCode.NONE })), ...written];
  }
}

/**
 * How a leader's transactional append relates to the transaction coordinator (Kafka's
 * AddPartitionsToTxnManager.TransactionSupportedOperation), chosen by the request version:
 * 'defaultError' (Produce ≤ v10, TxnOffsetCommit ≤ v3: verify, TRANSACTION_ABORTABLE answered
 * as INVALID_TXN_STATE), 'genericErrorSupported' (Produce v11, TxnOffsetCommit v4: verify),
 * 'addPartition' (Produce v12+, TxnOffsetCommit v5+: add the partition, Transaction V2).
 */
export type TransactionSupportedOperation = 'defaultError' | 'genericErrorSupported' | 'addPartition';

export function produceTransactionOperation(version: number): TransactionSupportedOperation {
  return version > 11 ? 'addPartition' : version > 10 ? 'genericErrorSupported' : 'defaultError';
}

export function txnOffsetCommitTransactionOperation(version: number): TransactionSupportedOperation {
  return version > 4 ? 'addPartition' : version > 3 ? 'genericErrorSupported' : 'defaultError';
}

/** One transaction of an AddPartitionsToTxn v4+ request (the brokers' form). */
export interface AddPartitionsToTxnEntry {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  verifyOnly: boolean;
  partitions: readonly TopicPartition[];
}

/**
 * Sends one AddPartitionsToTxn v4+ entry to the transactional id's coordinator and answers the
 * coordinator's code per partition, in order (Kafka's AddPartitionsToTxnManager network side).
 */
export interface AddPartitionsToTxnSender {
  send(entry: AddPartitionsToTxnEntry, version: number): Promise<number[]>;
}

/**
 * The coordinator's handling of one AddPartitionsToTxn v4+ entry (Kafka's KafkaApis for v4+):
 * verifyOnly → handleVerifyPartitionsInTransaction (NONE / TRANSACTION_ABORTABLE per partition,
 * or one error for all); otherwise handleAddPartitionsToTransaction with Transaction V2 from v5
 * (one code for every partition). PRODUCER_FENCED is left to the caller to map.
 */
export async function addOrVerifyAtCoordinator(service: TransactionCoordinatorService, entry: AddPartitionsToTxnEntry, version: number): Promise<number[]> {
  if (entry.verifyOnly) return service.verifyPartitions(entry.transactionalId, entry.producerId, entry.producerEpoch, entry.partitions);
  const code = await service.addPartitionsToTransaction(entry.transactionalId, entry.producerId, entry.producerEpoch, entry.partitions, version >= 5 ? 2 : 0);
  return entry.partitions.map(() => code);
}

export class TransactionRuntime implements LeadershipListener {
  private coordinator: TransactionCoordinatorService | null = null;
  private creating: Promise<void> | null = null;
  private closed = false;
  private interBroker: { markerWriter: TransactionMarkerWriter; sender: AddPartitionsToTxnSender } | null = null;

  constructor(private readonly broker: Broker) {}

  /** Registers for `__transaction_state` leadership (start.ts, before partitions start). */
  attach(): void {
    this.broker.replicaManager.addLeadershipListener(TRANSACTION_STATE_TOPIC_NAME, this);
  }

  /** The coordinator; after availability() returned NONE. */
  get service(): TransactionCoordinatorService {
    if (this.coordinator === null) throw new Error('the transaction coordinator is used before any __transaction_state partition was elected');
    return this.coordinator;
  }

  /** The coordinator if a partition was elected already (ListTransactions, tests and diagnostics). */
  get serviceIfStarted(): TransactionCoordinatorService | undefined {
    return this.coordinator ?? undefined;
  }

  onElection(partition: number, leaderEpoch: number): void {
    if (this.closed) return;
    this.ensureService().onElection(partition, leaderEpoch);
  }

  onResignation(partition: number, leaderEpoch: number): void {
    this.coordinator?.onResignation(partition, leaderEpoch);
  }

  private ensureService(): TransactionCoordinatorService {
    if (this.coordinator !== null) return this.coordinator;
    const info = this.broker.topics.get(TRANSACTION_STATE_TOPIC_NAME);
    const numPartitions = info?.numPartitions ?? this.broker.config.getInt('transaction.state.log.num.partitions');
    this.coordinator = new TransactionCoordinatorService({
      config: transactionCoordinatorConfig(this.broker, numPartitions),
      clock: this.broker.clock,
      logger: this.broker.logger,
      writer: transactionLogWriter(this.broker),
      loader: internalTopicLoader(this.broker, TRANSACTION_STATE_TOPIC_NAME),
      producerIds: this.broker.producerIds,
      markerWriter: this.interBroker?.markerWriter ?? new LocalTransactionMarkerWriter(this.broker),
      leadershipConfirmed: () => this.broker.membership?.sessionConfirmed() ?? true,
    });
    return this.coordinator;
  }

  /** Creates `__transaction_state` if it is missing (its partitions are then elected by the partition layer). */
  private ensureTopic(): Promise<void> {
    if (this.broker.topics.get(TRANSACTION_STATE_TOPIC_NAME) !== undefined) return Promise.resolve();
    this.creating ??= (async () => {
      const errorCode = await this.broker.topics.autoCreate(TRANSACTION_STATE_TOPIC_NAME);
      if (errorCode !== ErrorCode.NONE) throw new Error(`cannot create ${TRANSACTION_STATE_TOPIC_NAME}: error ${errorCode}`);
    })().finally(() => {
      this.creating = null;
    });
    return this.creating;
  }

  /** Resolves once every `__transaction_state` partition led here has had its first load attempt. */
  private async loaded(): Promise<void> {
    await this.ensureTopic();
    const info = this.broker.topics.get(TRANSACTION_STATE_TOPIC_NAME);
    if (info === undefined) throw new Error(`${TRANSACTION_STATE_TOPIC_NAME} was deleted while it was being created`);
    const service = this.ensureService();
    const led: number[] = [];
    for (let p = 0; p < info.numPartitions; p++) if (this.broker.replicaManager.getPartition(TRANSACTION_STATE_TOPIC_NAME, p)?.isLeader === true) led.push(p);
    await Promise.all(led.map((p) => service.runtime.awaitLoaded(p)));
  }

  /** NONE once loaded; otherwise the error a transactional API answers (after waiting up to 5 s). */
  async availability(timeoutMs = READY_WAIT_MS): Promise<number> {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<number>((resolve) => { timer = this.broker.clock.schedule(timeoutMs, () => resolve(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)); });
    const started = this.loaded().then(() => ErrorCode.NONE, (err: unknown) => {
      this.broker.logger.error('starting the transaction coordinator failed; the next transactional request retries', { error: String(err) });
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    });
    const outcome = await Promise.race([started, timeout]);
    timer?.cancel();
    return this.closed ? ErrorCode.COORDINATOR_NOT_AVAILABLE : outcome;
  }

  /**
   * KIP-890 transaction verification for the produce path of a Produce ≤ v10 (DEFAULT_ERROR):
   * addOrVerify() with 'defaultError' for one partition.
   */
  async verify(transactionalId: string, producerId: number, producerEpoch: number, topic: string, partition: number): Promise<number> {
    return (await this.addOrVerify(transactionalId, producerId, producerEpoch, [{ topic, partition }], 'defaultError'))[0]!;
  }

  /**
   * Kafka 4's AddPartitionsToTxnManager.addOrVerifyTransaction, as ReplicaManager uses it before
   * appending a transactional batch (and the group coordinator before a TxnOffsetCommit):
   * 'addPartition' (Produce v12+, TxnOffsetCommit v5+, Transaction V2) adds the partitions to
   * the producer's transaction — an AddPartitionsToTxn v5 entry with verifyOnly false — the
   * others only verify them (verifyOnly true). Per partition, in order: NONE, or the answer the
   * append path gets: TRANSACTION_ABORTABLE (not in the ongoing transaction; INVALID_TXN_STATE
   * for 'defaultError', the clients that predate it), INVALID_PRODUCER_EPOCH (the coordinator's
   * PRODUCER_FENCED), INVALID_PRODUCER_ID_MAPPING, CONCURRENT_TRANSACTIONS, NOT_COORDINATOR,
   * COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE (also when `__transaction_state`
   * does not exist: then no transaction was ever begun). The request goes through the
   * `sender` (AddPartitionsToTxnSender): on one broker the local coordinator; in a cluster a
   * request to the coordinator's broker takes its place.
   */
  async addOrVerify(
    transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[], operation: TransactionSupportedOperation,
  ): Promise<number[]> {
    // In a cluster the coordinator may be on another broker: this one need not have a service.
    const noLocalService = this.coordinator === null && this.interBroker === null;
    if (this.closed || noLocalService || this.broker.topics.get(TRANSACTION_STATE_TOPIC_NAME) === undefined) {
      return partitions.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    const codes = await this.sender.send({ transactionalId, producerId, producerEpoch, verifyOnly: operation !== 'addPartition', partitions }, 5);
    return codes.map((code) => {
      if (code === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH; // producers expect this here
      if (code === ErrorCode.TRANSACTION_ABORTABLE && operation === 'defaultError') return ErrorCode.INVALID_TXN_STATE;
      return code;
    });
  }

  /** The local coordinator's handling of an AddPartitionsToTxn v4+ entry. */
  readonly localSender: AddPartitionsToTxnSender = {
    send: (entry, version) => (this.coordinator === null
      ? Promise.resolve(entry.partitions.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE))
      : addOrVerifyAtCoordinator(this.coordinator, entry, version)),
  };

  /** The way partitions reach the transaction coordinator: a local call on one broker, the coordinator's broker in a cluster. */
  get sender(): AddPartitionsToTxnSender {
    return this.interBroker?.sender ?? this.localSender;
  }

  /**
   * In a cluster (start.ts, before the partitions start): markers go to each partition's
   * leader and AddPartitionsToTxn to the coordinator's broker (inter-broker-txn.ts).
   */
  useInterBroker(interBroker: { markerWriter: TransactionMarkerWriter; sender: AddPartitionsToTxnSender }): void {
    this.interBroker = interBroker;
  }

  close(): void {
    this.closed = true;
    this.coordinator?.close();
  }
}
