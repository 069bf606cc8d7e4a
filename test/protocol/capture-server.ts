/**
 * A tiny fake broker that records every request frame a client sends. It answers just enough
 * for clients to get through bootstrap, one produce and a short group consume: ApiVersions (our
 * ranges, encoded with our codec), Metadata (itself as the only broker, every asked topic with one
 * empty partition led by it), Produce, FindCoordinator (itself), JoinGroup (the caller leads a
 * one-member group), SyncGroup (echoes the leader's assignment), OffsetFetch (no commits),
 * ListOffsets (0), Fetch (no data, after a short wait), OffsetCommit (success) and, for anything
 * else, the all-defaults response of the requested version. Frames are kept raw
 * (size prefix included) so fixtures can be compared byte for byte.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import { readRequestHeader, readRequestHeaderPrefix, responseHeaderIsFlexible, writeResponseHeader } from '../../src/protocol/headers.js';
import { ALL_APIS, complete } from './support.js';
import { ApiVersions } from '../../src/protocol/messages/api-versions.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import type { ApiDef } from '../../src/protocol/schema.js';

export interface CapturedFrame {
  apiKey: number;
  apiVersion: number;
  /** The whole frame, size prefix included. */
  frame: Buffer;
}

export interface CaptureServer {
  host: string;
  port: number;
  bootstrap: string;
  frames: CapturedFrame[];
  close(): Promise<void>;
}

const MAX_FRAME = 16 * 1024 * 1024;
const UNSUPPORTED_VERSION = 35;
const apiByKey = new Map<number, ApiDef>(ALL_APIS.map((a) => [a.apiKey, a]));

function respond(socket: Socket, api: ApiDef, version: number, correlationId: number, body: unknown): void {
  const w = new Writer(256);
  const size = w.reserve(4);
  writeResponseHeader(w, correlationId, responseHeaderIsFlexible(api.apiKey, api.response.isFlexible(version)));
  api.response.write(w, body, version);
  w.buf.writeInt32BE(w.pos - size - 4, size);
  socket.write(Buffer.from(w.toBuffer()));
}

function apiVersionsBody(version: number, errorCode: number): unknown {
  return {
    ...ApiVersions.response.empty(version),
    errorCode,
    apiKeys: ALL_APIS.map((a) => ({ apiKey: a.apiKey, minVersion: a.request.versions.min, maxVersion: a.request.versions.max })),
  };
}

const MEMBER_ID = 'golden-member-1';

/** Response bodies (partial: complete() fills the rest) for the APIs clients need to proceed. */
const RESPONDERS: Record<number, (req: any, version: number, server: CaptureServer) => Record<string, unknown> | null> = {
  3: (req, _v, s) => ({
    brokers: [{ nodeId: 0, host: s.host, port: s.port, rack: null }],
    clusterId: 'capture-cluster',
    controllerId: 0,
    topics: (req.topics === null || req.topics.length === 0 ? [{ name: 'golden-topic' }] : req.topics).map((t: { name: string | null }, i: number) => ({
      name: t.name ?? 'golden-topic',
      topicId: Buffer.alloc(16, i + 1),
      partitions: [{ partitionIndex: 0, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0] }],
    })),
  }),
  0: (req) => (req.acks === 0 ? null : {
    responses: req.topicData.map((t: any) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p: any) => ({ index: p.index, baseOffset: 0, logStartOffset: 0 })),
    })),
  }),
  10: (req, _v, s) => ({
    nodeId: 0, host: s.host, port: s.port,
    coordinators: req.coordinatorKeys.map((key: string) => ({ key, nodeId: 0, host: s.host, port: s.port })),
  }),
  11: (req) => {
    const memberId = req.memberId === '' ? MEMBER_ID : req.memberId;
    const protocol = req.protocols[0] ?? { name: '', metadata: Buffer.alloc(0) };
    return {
      generationId: 1, protocolType: req.protocolType, protocolName: protocol.name, leader: memberId, memberId,
      members: [{ memberId, metadata: protocol.metadata }],
    };
  },
  14: (req) => ({
    protocolType: req.protocolType, protocolName: req.protocolName,
    assignment: req.assignments.find((a: any) => a.memberId === req.memberId)?.assignment ?? Buffer.alloc(0),
  }),
  9: (req) => {
    const topics = (ts: any[] | null) => (ts ?? []).map((t: any) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p: number) => ({ partitionIndex: p, committedOffset: -1, metadata: '' })),
    }));
    return { topics: topics(req.topics), groups: req.groups.map((g: any) => ({ groupId: g.groupId, topics: topics(g.topics) })) };
  },
  2: (req) => ({
    topics: req.topics.map((t: any) => ({ name: t.name, partitions: t.partitions.map((p: any) => ({ partitionIndex: p.partitionIndex, offset: 0, oldStyleOffsets: [0] })) })),
  }),
  1: (req) => ({
    sessionId: 0,
    responses: req.topics.map((t: any) => ({
      topic: t.topic, topicId: t.topicId,
      // Empty records, never null: librdkafka 2.0.2 fails to parse a Fetch partition whose records are null (size -1).
      partitions: t.partitions.map((p: any) => ({ partitionIndex: p.partition, highWatermark: 0, lastStableOffset: 0, logStartOffset: 0, records: Buffer.alloc(0) })),
    })),
  }),
  8: (req) => ({
    topics: req.topics.map((t: any) => ({ name: t.name, partitions: t.partitions.map((p: any) => ({ partitionIndex: p.partitionIndex })) })),
  }),
};

function handleFrame(socket: Socket, frame: Buffer, server: CaptureServer): void {
  const r = new Reader(frame, 4);
  const { apiKey, apiVersion, correlationId } = readRequestHeaderPrefix(r);
  server.frames.push({ apiKey, apiVersion, frame: Buffer.from(frame) });
  const api = apiByKey.get(apiKey);
  if (api === undefined) {
    socket.destroy();
    return;
  }
  if (apiKey === ApiVersions.apiKey) {
    // Kafka answers an ApiVersions version it does not know with v0 and UNSUPPORTED_VERSION.
    if (apiVersion > ApiVersions.request.versions.max) respond(socket, api, 0, correlationId, apiVersionsBody(0, UNSUPPORTED_VERSION));
    else respond(socket, api, apiVersion, correlationId, apiVersionsBody(apiVersion, 0));
    return;
  }
  if (apiVersion < api.request.versions.min || apiVersion > api.request.versions.max) {
    socket.destroy();
    return;
  }
  const reader = new Reader(frame, 4);
  readRequestHeader(reader, api.request.isFlexible(apiVersion));
  const request = api.request.read(reader, apiVersion) as any;
  if (reader.error !== null) {
    socket.destroy();
    return;
  }
  const partial = RESPONDERS[apiKey]?.(request, apiVersion, server) ?? (apiKey === Produce.apiKey ? null : {});
  if (partial === null) return;
  const body = complete(api.response.def.fields, apiVersion, partial);
  // Fetch waits (briefly) like a broker with no data, so consumers do not spin.
  const delayMs = apiKey === 1 ? Math.min(200, Math.max(0, request.maxWaitMs)) : 0;
  if (delayMs === 0) respond(socket, api, apiVersion, correlationId, body);
  else setTimeout(() => { if (!socket.destroyed) respond(socket, api, apiVersion, correlationId, body); }, delayMs);
}

export function startCaptureServer(host = '127.0.0.1'): Promise<CaptureServer> {
  const sockets = new Set<Socket>();
  const state: CaptureServer = { host, port: 0, bootstrap: '', frames: [], close: async () => {} };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (size < 0 || size > MAX_FRAME) {
          socket.destroy();
          return;
        }
        if (pending.length < 4 + size) break;
        const frame = pending.subarray(0, 4 + size);
        pending = pending.subarray(4 + size);
        handleFrame(socket, frame, state);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no address');
      state.port = address.port;
      state.bootstrap = `${host}:${address.port}`;
      state.close = () => new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      });
      resolve(state);
    });
  });
}
