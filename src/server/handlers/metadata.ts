/**
 * Metadata (key 3), v0-12.
 *
 * Behavior: the brokers are this one (at the address of the listener the request came in on)
 * plus the others of the cluster (Broker.endpoints: in etcd mode the live members, in an
 * in-process cluster every broker whose listeners are registered in the metadata). The
 * controller is this broker when standalone, else the elected one (-1 while there is none).
 * Partitions are answered from the metadata image: leader, leader epoch, replicas and ISR as
 * registered (topics from before the metadata journal, and new ones, start at leader epoch 0);
 * replicas on brokers that are not live are offline; a partition without a leader answers
 * LEADER_NOT_AVAILABLE.
 * - topics null (v1+), or an empty list in v0, means every topic (internal ones included,
 *   flagged isInternal); an empty list in v1+ means none.
 * - An unknown topic is created on the spot when allowAutoTopicCreation (always true before v4)
 *   and auto.create.topics.enable allow it, and, as Kafka does, that response answers it with
 *   LEADER_NOT_AVAILABLE and no partitions; the client's retry sees the topic (kafka-python's
 *   retry then connects to the leader before its first send, which its close(timeout=0) at
 *   interpreter exit needs to deliver an unflushed record). __consumer_offsets and
 *   __transaction_state are always created on request, as Kafka does. Otherwise
 *   UNKNOWN_TOPIC_OR_PARTITION; an illegal name is INVALID_TOPIC_EXCEPTION.
 * - v10+ may name a topic by id only (name null): unknown ids get UNKNOWN_TOPIC_ID.
 * Version notes: v1 controllerId/rack/isInternal, v2 clusterId, v3 throttle, v4 allowAuto,
 * v5 offlineReplicas, v7 leaderEpoch, v8 authorized operations (-2147483648 unless asked for;
 * cluster ops only v8-10), v9 flexible, v10 topicId.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  Metadata, type MetadataRequest, type MetadataResponse, type MetadataResponseMetadataResponseTopic,
} from '../../protocol/messages/metadata.js';
import type { TopicInfo } from '../../cluster/topic-manager.js';
import { isInternalTopic } from '../../cluster/topic-name.js';
import { defineHandler } from '../handler.js';
import type { Broker } from '../broker.js';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS, TOPIC_AUTHORIZED_OPERATIONS } from './_admin-helpers.js';

const ZERO_UUID = Buffer.alloc(16);

function topicEntry(broker: Broker, info: TopicInfo, authorizedOps: number): MetadataResponseMetadataResponseTopic {
  const partitions = info.partitions.map((p, i) => ({
    // Kafka answers LEADER_NOT_AVAILABLE for a partition without a leader, and lists the
    // replicas on brokers that are not alive (unknown, or out of the cluster's live set) as offline.
    errorCode: p.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
    partitionIndex: i, leaderId: p.leader, leaderEpoch: p.leaderEpoch,
    replicaNodes: [...p.replicas], isrNodes: [...p.isr], offlineReplicas: p.replicas.filter((b) => !broker.isBrokerLive(b)),
  }));
  return { errorCode: ErrorCode.NONE, name: info.name, topicId: info.topicId, isInternal: info.isInternal, partitions, topicAuthorizedOperations: authorizedOps };
}

function errorEntry(name: string | null, topicId: Buffer, errorCode: number, authorizedOps: number): MetadataResponseMetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: name !== null && isInternalTopic(name), partitions: [], topicAuthorizedOperations: authorizedOps };
}

export default defineHandler<MetadataRequest, MetadataResponse>({
  api: Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, request) {
    const version = ctx.header.apiVersion;
    const broker = ctx.broker;
    const response = Metadata.response.empty(version);
    response.brokers = broker.endpoints(ctx.connection.listenerName).map((e) => ({ nodeId: e.nodeId, host: e.host, port: e.port, rack: e.rack }));
    response.clusterId = broker.clusterId;
    response.controllerId = broker.controllerId;
    const topicOps = request.includeTopicAuthorizedOperations ? TOPIC_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    response.clusterAuthorizedOperations = request.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;

    const all = request.topics === null || (version === 0 && request.topics.length === 0);
    if (all) {
      const infos = broker.topics.list().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      response.topics = infos.map((t) => topicEntry(broker, t, topicOps));
      return response;
    }

    const allowAuto = version < 4 || request.allowAutoTopicCreation;
    const seenNames = new Set<string>();
    const seenIds = new Set<string>();
    // Unknown topics to create, all at once after the loop (one metadata write per request).
    const toCreate: { name: string; entry: MetadataResponseMetadataResponseTopic }[] = [];
    for (const t of request.topics!) {
      if (t.name === null) {
        const key = t.topicId.toString('hex');
        if (seenIds.has(key)) continue;
        seenIds.add(key);
        const info = t.topicId.equals(ZERO_UUID) ? undefined : broker.topics.getById(t.topicId);
        response.topics.push(info === undefined ? errorEntry(null, t.topicId, ErrorCode.UNKNOWN_TOPIC_ID, topicOps) : topicEntry(broker, info, topicOps));
        continue;
      }
      if (seenNames.has(t.name)) continue;
      seenNames.add(t.name);
      let info = broker.topics.get(t.name);
      if (info === undefined) {
        if (broker.topics.validateTopicName(t.name) !== null) {
          response.topics.push(errorEntry(t.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION, topicOps));
          continue;
        }
        if (allowAuto || isInternalTopic(t.name)) {
          const entry = errorEntry(t.name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE, topicOps);
          toCreate.push({ name: t.name, entry });
          response.topics.push(entry);
          continue;
        }
      }
      response.topics.push(info === undefined ? errorEntry(t.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topicOps) : topicEntry(broker, info, topicOps));
    }
    if (toCreate.length > 0) {
      const codes = await broker.topics.autoCreateMany(toCreate.map((c) => c.name));
      // As Kafka does, the response that triggers the creation answers LEADER_NOT_AVAILABLE
      // (retriable) and the client's next Metadata request sees the topic. kafka-python 2.0.2
      // depends on this: its retry connects to the leader before the first send.
      toCreate.forEach((c, i) => {
        if (codes[i] !== ErrorCode.NONE) c.entry.errorCode = codes[i]!;
      });
    }
    return response;
  },
});
