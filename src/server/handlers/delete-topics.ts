/**
 * DeleteTopics (key 20), v1-6.
 *
 * Behavior (Kafka's ControllerApis.deleteTopics): v0-5 name topics in topicNames; v6 in
 * topics[] by name or by id (not both: INVALID_REQUEST). A name or id given twice gets
 * INVALID_REQUEST ("Duplicate topic name." / "Duplicate topic id."). Unknown names answer
 * UNKNOWN_TOPIC_OR_PARTITION, unknown ids UNKNOWN_TOPIC_ID. delete.topic.enable=false answers
 * TOPIC_DELETION_DISABLED. As in Kafka, the broker itself lets internal topics be deleted
 * (only kafka-topics.sh refuses). Deletion is complete when the response is sent.
 * Version notes: v5 errorMessage, v6 topic ids.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  DeleteTopics, type DeleteTopicsRequest, type DeleteTopicsResponse,
} from '../../protocol/messages/delete-topics.js';
import { defineHandler } from '../handler.js';

const ZERO_UUID = Buffer.alloc(16);

export default defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  api: DeleteTopics,
  minVersion: 1,
  maxVersion: 6,
  async handle(ctx, request) {
    const version = ctx.header.apiVersion;
    const topics = ctx.broker.topics;
    const response = DeleteTopics.response.empty(version);
    const reply = (name: string | null, topicId: Buffer, errorCode: number, errorMessage: string | null) => {
      response.responses.push({ name, topicId, errorCode, errorMessage });
    };

    // Collect what to delete as names; ids are resolved to names first.
    const wanted: { name: string; topicId: Buffer }[] = [];
    const names = version >= 6 ? [] : [...request.topicNames];
    const ids: Buffer[] = [];
    if (version >= 6) {
      for (const t of request.topics) {
        const hasId = !t.topicId.equals(ZERO_UUID);
        if (t.name === null && !hasId) reply(null, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.');
        else if (t.name !== null && hasId) reply(t.name, t.topicId, ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.');
        else if (t.name !== null) names.push(t.name);
        else ids.push(t.topicId);
      }
    }
    const nameCounts = new Map<string, number>();
    for (const n of names) nameCounts.set(n, (nameCounts.get(n) ?? 0) + 1);
    for (const [n, c] of nameCounts) {
      if (c > 1) {
        reply(n, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
        continue;
      }
      const info = topics.get(n);
      if (info === undefined) reply(n, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      else wanted.push({ name: n, topicId: info.topicId });
    }
    const idCounts = new Map<string, { id: Buffer; count: number }>();
    for (const id of ids) {
      const e = idCounts.get(id.toString('hex'));
      if (e === undefined) idCounts.set(id.toString('hex'), { id, count: 1 });
      else e.count++;
    }
    for (const { id, count } of idCounts.values()) {
      if (count > 1) {
        reply(null, id, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.');
        continue;
      }
      const info = topics.getById(id);
      if (info === undefined) reply(null, id, ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.');
      else if (wanted.some((w) => w.name === info.name)) {
        reply(info.name, id, ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.');
      } else wanted.push({ name: info.name, topicId: info.topicId });
    }

    // One metadata append for the whole request.
    const results = wanted.length === 0 ? [] : await topics.deleteMany(wanted.map((w) => w.name));
    wanted.forEach((w, i) => reply(w.name, w.topicId, results[i]!.errorCode, results[i]!.errorMessage));
    return response;
  },
});
