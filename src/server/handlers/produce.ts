/**
 * Produce (API key 0), versions 0-11.
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
 * - acks=0: no response. If any partition failed, the connection is closed instead (Kafka
 *   does the same so the client notices and refreshes metadata).
 * Version notes: logAppendTimeMs v2+ (-1 for CreateTime topics), logStartOffset v5+,
 * recordErrors/errorMessage v8+, currentLeader/nodeEndpoints tagged v10+ (left default).
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
import { defineHandler, type RequestContext } from '../handler.js';

const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

function partitionError(index: number, errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage, currentLeader: NO_LEADER };
}

async function producePartition(ctx: RequestContext, req: ProduceRequest, topic: string, index: number, records: Buffer | null): Promise<ProduceResponsePartitionProduceResponse> {
  const version = ctx.header.apiVersion;
  if (version < 3) return partitionError(index, ErrorCode.UNSUPPORTED_VERSION, `Produce v${version} is not supported; use v3 or later`);
  const replicas = ctx.broker.replicaManager;
  // Kafka's order: a partition the metadata does not name, then the shape of the records, then
  // (in the replica manager) acks, leadership, validation and the append.
  if (!replicas.inMetadata(topic, index)) return partitionError(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition.`);
  const shape = validateProduceShape(version, records);
  if (shape !== null) return partitionError(index, shape.errorCode, shape.errorMessage);
  const r = await replicas.appendRecords(topic, index, records!, { acks: req.acks, timeoutMs: req.timeoutMs, origin: 'client' });
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

export default defineHandler({
  api: Produce,
  minVersion: 0,
  maxVersion: 11,
  async handle(ctx, req): Promise<ProduceResponse | null> {
    const responses = await Promise.all(req.topicData.map(async (t) => ({
      name: t.name,
      partitionResponses: await Promise.all(t.partitionData.map((p) => producePartition(ctx, req, t.name, p.index, p.records))),
    })));
    if (req.acks === 0) {
      const failed = responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== ErrorCode.NONE));
      if (failed) throw new BrokerError('SHERWOOD_CLIENT', 'acks=0 produce failed; closing the connection as Kafka does');
      return null;
    }
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  },
});
