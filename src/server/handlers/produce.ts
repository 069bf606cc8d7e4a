/**
 * Produce (API key 0), versions 0-12.
 *
 * Behavior:
 * - We advertise v0 because librdkafka disables compression when the broker's minimum Produce
 *   version is above 0, but, like Kafka 4 (KIP-896), answer v0-2 with UNSUPPORTED_VERSION in
 *   every partition.
 * - Per partition, in Kafka's order (KafkaApis.handleProduceRequest): unknown topic or
 *   partition (also an invalid name, which can never exist) ⇒ UNKNOWN_TOPIC_OR_PARTITION;
 *   the v3+ shape (exactly one magic-2 batch, no zstd before v7) ⇒ INVALID_RECORD /
 *   UNSUPPORTED_COMPRESSION_TYPE; acks not in {0, 1, -1} ⇒ INVALID_REQUIRED_ACKS; then
 *   ReplicaManager.appendRecords validates — every compressed batch is decompressed and its
 *   records walked, as Kafka's LogValidator does (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE,
 *   RECORD_LIST_TOO_LARGE, UNSUPPORTED_COMPRESSION_TYPE, INVALID_RECORD with or without
 *   recordErrors, INVALID_TIMESTAMP) — re-encodes the batch when the topic's compression.type
 *   is neither `producer` nor the batch's codec, appends and, for acks=-1, waits for the high
 *   watermark up to timeoutMs (REQUEST_TIMED_OUT).
 *   Appending to an internal topic ⇒ INVALID_TOPIC_EXCEPTION. Produce never auto-creates.
 * - Transactional batches (KIP-890, Kafka's ReplicaManager with AddPartitionsToTxnManager): before a
 *   producer's first write of a transaction to a partition (the partition holds no ongoing
 *   transaction of that producer id and epoch), the transaction coordinator is asked, as the
 *   request version says (transaction-runtime.ts `produceTransactionOperation`):
 *   v0-11 verify that the partition was added to that producer's ongoing transaction
 *   (transaction.partition.verification.enable); v12 (Transaction V2) adds it to the
 *   transaction (always). Failures: INVALID_TXN_STATE (v0-10) / TRANSACTION_ABORTABLE (v11+) for
 *   a partition not in the transaction, INVALID_PRODUCER_EPOCH, INVALID_PRODUCER_ID_MAPPING, and
 *   the coordinator's retriable answers (CONCURRENT_TRANSACTIONS, NOT_COORDINATOR,
 *   COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NETWORK_EXCEPTION) become
 *   NOT_ENOUGH_REPLICAS, as in Kafka's ReplicaManager. So a late batch of an aborted or timed-out
 *   transaction cannot open a transaction no coordinator knows (a hanging transaction). Kafka
 *   also keeps a verification guard in the producer state against a marker landing between the
 *   check and the append; here the check and the append are back to back on one broker.
 * - acks=0: no response. If any partition failed, the connection is closed instead (Kafka
 *   does the same so the client notices and refreshes metadata).
 * Version notes: logAppendTimeMs v2+ (-1 for CreateTime topics), logStartOffset v5+,
 * recordErrors/errorMessage v8+, currentLeader/nodeEndpoints tagged v10+: set for
 * NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH to the leader the metadata names (KIP-951,
 * _leader-helpers.ts), left default otherwise; v11 may answer TRANSACTION_ABORTABLE; v12 is
 * v11 with the implicit AddPartitions of Transaction V2.
 */
import { BrokerError } from '../../base/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  Produce,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
} from '../../protocol/messages/produce.js';
import { validateProduceShape } from '../../cluster/log-validator.js';
import { ATTR_TRANSACTIONAL, ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, readInt64 } from '../../protocol/record-batch.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { currentLeader, leaderEndpoints, needsLeaderInfo } from './_leader-helpers.js';
import { produceTransactionOperation } from '../transaction-runtime.js';

const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

function partitionError(index: number, errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage, currentLeader: NO_LEADER };
}

async function producePartition(ctx: RequestContext, req: ProduceRequest, topic: string, index: number, records: Buffer | null, appended: () => void): Promise<ProduceResponsePartitionProduceResponse> {
  try {
    return await appendPartition(ctx, req, topic, index, records, appended);
  } finally {
    appended();
  }
}

async function appendPartition(ctx: RequestContext, req: ProduceRequest, topic: string, index: number, records: Buffer | null, appended: () => void): Promise<ProduceResponsePartitionProduceResponse> {
  const version = ctx.header.apiVersion;
  if (version < 3) return partitionError(index, ErrorCode.UNSUPPORTED_VERSION, `Produce v${version} is not supported; use v3 or later`);
  const replicas = ctx.broker.replicaManager;
  // Kafka's order: a partition the metadata does not name, then the shape of the records, then
  // (in the replica manager) acks, leadership, validation and the append.
  if (!replicas.inMetadata(topic, index)) return partitionError(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition.`);
  const shape = validateProduceShape(version, records);
  if (shape !== null) return partitionError(index, shape.errorCode, shape.errorMessage);
  const unverified = await verifyTransaction(ctx, version, req.transactionalId, topic, index, records!);
  if (unverified !== ErrorCode.NONE) return partitionError(index, unverified);
  const r = await replicas.appendRecords(topic, index, records!, { acks: req.acks, timeoutMs: req.timeoutMs, origin: 'client', appended });
  return {
    index,
    errorCode: r.errorCode,
    baseOffset: r.baseOffset,
    logAppendTimeMs: r.logAppendTimeMs,
    logStartOffset: r.logStartOffset,
    recordErrors: r.recordErrors,
    errorMessage: r.errorMessage,
    currentLeader: NO_LEADER,
  };
}

/** The coordinator's answers a producer should retry, which Kafka's produce path reports as NOT_ENOUGH_REPLICAS. */
const RETRIABLE_VERIFICATION = new Set<number>([
  ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
]);

/** KIP-890 verification (v0-11) or implicit AddPartitions (v12) of a transactional batch (see the file header); NONE when not needed or done. */
async function verifyTransaction(ctx: RequestContext, version: number, transactionalId: string | null, topic: string, index: number, records: Buffer): Promise<number> {
  if (records.length < BATCH_HEADER_SIZE || (records.readInt16BE(ATTRIBUTES_OFFSET) & ATTR_TRANSACTIONAL) === 0 || transactionalId === null) return ErrorCode.NONE;
  const operation = produceTransactionOperation(version);
  if (operation !== 'addPartition' && !ctx.broker.config.get<boolean>('transaction.partition.verification.enable')) return ErrorCode.NONE;
  const partition = ctx.broker.replicaManager.getPartition(topic, index);
  const producerId = readInt64(records, PRODUCER_ID_OFFSET);
  const producerEpoch = records.readInt16BE(PRODUCER_EPOCH_OFFSET);
  if (partition === undefined || !partition.isLeader || partition.hasOngoingTransaction(producerId, producerEpoch)) return ErrorCode.NONE;
  const [code] = await ctx.broker.transactions.addOrVerify(transactionalId, producerId, producerEpoch, [{ topic, partition: index }], operation);
  return RETRIABLE_VERIFICATION.has(code!) ? ErrorCode.NOT_ENOUGH_REPLICAS : code!;
}

export default defineHandler({
  api: Produce,
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, req): Promise<ProduceResponse | null> {
    // Once every partition's append is done (or refused), an acks=all request only waits for
    // followers: the connection may start the next Produce meanwhile (connection.ts).
    let appending = req.topicData.reduce((n, t) => n + t.partitionData.length, 0);
    const appendedOnce = (): (() => void) => {
      let called = false;
      return () => {
        if (called) return;
        called = true;
        if (--appending === 0 && req.acks === -1) ctx.awaitingReplication?.();
      };
    };
    const responses = await Promise.all(req.topicData.map(async (t) => ({
      name: t.name,
      partitionResponses: await Promise.all(t.partitionData.map((p) => producePartition(ctx, req, t.name, p.index, p.records, appendedOnce()))),
    })));
    if (req.acks === 0) {
      const failed = responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== ErrorCode.NONE));
      if (failed) throw new BrokerError('SHERWOOD_CLIENT', 'acks=0 produce failed; closing the connection as Kafka does');
      return null;
    }
    const leaders = new Set<number>();
    for (const t of responses) {
      for (const p of t.partitionResponses) {
        if (!needsLeaderInfo(p.errorCode)) continue;
        p.currentLeader = currentLeader(ctx.broker, t.name, p.index);
        if (p.currentLeader.leaderId >= 0) leaders.add(p.currentLeader.leaderId);
      }
    }
    return { responses, throttleTimeMs: 0, nodeEndpoints: leaders.size === 0 ? [] : leaderEndpoints(ctx.broker, ctx.connection.listenerName, leaders) };
  },
});
