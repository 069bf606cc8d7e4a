/**
 * The consumer half of `sherwood perf` (see ./perf.ts for the command line): reads every
 * partition from the earliest (or latest) offset without a consumer group, keeping one Fetch
 * in flight and sending the next one before walking the records of the previous response.
 */
import { KafkaClient, type TopicMetadata } from '../client/kafka-client.js';
import { Fetch, type FetchRequest, ListOffsets, ErrorCode, errorName, forEachRecord, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, ATTR_CONTROL,
  ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET } from '../client/index.js';
import type { Output } from './perf-producer.js';

const MIB = 1024 * 1024;

export interface ConsumerSettings {
  bootstrap: string;
  topic: string;
  messages: number;
  fetchMaxBytes: number;
  partitionMaxBytes: number;
  fetchMinBytes: number;
  fetchMaxWaitMs: number;
  fromLatest: boolean;
  timeoutMs: number;
  /** request.timeout.ms: how long a Fetch may take beyond fetch.max.wait.ms. */
  requestTimeoutMs: number;
  clientId: string;
  reportingIntervalMs: number;
  hideHeader: boolean;
  json: boolean;
}

/** Whole batches of one partition from one Fetch response, and the offset that was asked for. */
interface FetchedRecords {
  records: Buffer;
  fetchOffset: number;
}

interface FetchPosition {
  partition: number;
  leaderId: number;
  offset: number;
}

/** Kafka's consumer perf tool prints times as yyyy-MM-dd HH:mm:ss:SSS (local time). */
function kafkaTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}

async function listStartOffsets(client: KafkaClient, s: ConsumerSettings, topic: TopicMetadata): Promise<FetchPosition[]> {
  const res = await client.request(ListOffsets, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: s.topic, partitions: topic.partitions.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp: s.fromLatest ? -1 : -2, maxNumOffsets: 1 })) }],
    timeoutMs: 30000,
  }, { nodeId: topic.partitions[0]?.leaderId });
  const positions: FetchPosition[] = [];
  for (const p of topic.partitions) {
    const r = res.topics.find((t) => t.name === s.topic)?.partitions.find((x) => x.partitionIndex === p.partition);
    if (r === undefined || r.errorCode !== ErrorCode.NONE) {
      throw new Error(`ListOffsets ${s.topic}-${p.partition}: ${r === undefined ? 'no answer' : errorName(r.errorCode)}`);
    }
    positions.push({ partition: p.partition, leaderId: p.leaderId, offset: r.offset });
  }
  return positions;
}

class ConsumeRun {
  records = 0;
  bytes = 0;
  tFirstRecord = 0;
  tLastRecord = 0;
  private windowRecords = 0;
  private windowBytes = 0;
  private windowStart = 0;

  constructor(private readonly s: ConsumerSettings, private readonly client: KafkaClient, private readonly topic: TopicMetadata, private readonly positions: FetchPosition[]) {}

  private fetch(): Promise<FetchedRecords[]> {
    const s = this.s;
    const request: Partial<FetchRequest> = {
      replicaId: -1,
      maxWaitMs: s.fetchMaxWaitMs,
      minBytes: s.fetchMinBytes,
      maxBytes: s.fetchMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{
        topic: s.topic,
        topicId: this.topic.topicId,
        partitions: this.positions.map((p) => ({
          partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1,
          partitionMaxBytes: s.partitionMaxBytes, replicaDirectoryId: Buffer.alloc(16),
        })),
      }],
      forgottenTopicsData: [],
      rackId: '',
    };
    return this.client.request(Fetch, request, { nodeId: this.positions[0]!.leaderId, timeoutMs: s.fetchMaxWaitMs + s.requestTimeoutMs }).then((res) => {
      if (res.errorCode !== ErrorCode.NONE) throw new Error(`Fetch: ${errorName(res.errorCode)}`);
      const out: FetchedRecords[] = [];
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const pos = this.positions.find((x) => x.partition === p.partitionIndex);
          if (pos === undefined) continue;
          if (p.errorCode !== ErrorCode.NONE) throw new Error(`Fetch ${s.topic}-${p.partitionIndex}: ${errorName(p.errorCode)}`);
          if (p.records === null || p.records.length === 0) continue;
          // Advance the position past the last complete batch now, so the next Fetch can go
          // out before these records are walked.
          const from = pos.offset;
          const end = completeBatchesEnd(p.records);
          if (end.bytes === 0) continue;
          pos.offset = end.nextOffset;
          out.push({ records: p.records.subarray(0, end.bytes), fetchOffset: from });
        }
      }
      return out;
    });
  }

  async run(out: Output): Promise<boolean> {
    const start = performance.now();
    this.windowStart = start;
    let lastProgress = start;
    let pending = this.fetch();
    try {
      while (this.records < this.s.messages) {
        const chunks = await pending;
        const now = performance.now();
        if (chunks.length > 0) lastProgress = now;
        else if (now - lastProgress > this.s.timeoutMs) return false;
        pending = this.fetch();
        for (const c of chunks) this.count(c);
        if (now - this.windowStart >= this.s.reportingIntervalMs) this.report(out, now);
      }
      return true;
    } finally {
      // The prefetched request may still be in flight; let it settle before the client closes.
      await pending.catch(() => undefined);
    }
  }

  /** Walks the records of whole batches, skipping those before the fetch offset. */
  private count({ records, fetchOffset }: FetchedRecords): void {
    let pos = 0;
    while (pos + BATCH_LOG_OVERHEAD <= records.length) {
      const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + BATCH_LOG_OVERHEAD;
      const baseOffset = records.readInt32BE(pos) * 4294967296 + records.readUInt32BE(pos + 4);
      const attributes = records.readInt16BE(pos + ATTRIBUTES_OFFSET);
      if ((attributes & ATTR_CONTROL) === 0) {
        forEachRecord(records, pos, (offsetDelta, _ts, key, value) => {
          if (baseOffset + offsetDelta < fetchOffset || this.records >= this.s.messages) return;
          this.records++;
          this.bytes += (key?.length ?? 0) + (value?.length ?? 0);
          this.windowRecords++;
          this.windowBytes += (key?.length ?? 0) + (value?.length ?? 0);
        });
      }
      pos += size;
    }
    const now = performance.now();
    if (this.tFirstRecord === 0 && this.records > 0) this.tFirstRecord = now;
    this.tLastRecord = now;
  }

  private report(out: Output, now: number): void {
    const seconds = (now - this.windowStart) / 1000;
    out(`${this.records} records consumed, ${(this.windowRecords / seconds).toFixed(1)} records/sec (${(this.windowBytes / MIB / seconds).toFixed(2)} MB/sec).`);
    this.windowRecords = 0;
    this.windowBytes = 0;
    this.windowStart = now;
  }
}

/** Byte length of the complete batches at the front of `records` and the offset after them. */
function completeBatchesEnd(records: Buffer): { bytes: number; nextOffset: number } {
  let pos = 0;
  let nextOffset = -1;
  while (pos + BATCH_LOG_OVERHEAD <= records.length) {
    const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + BATCH_LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || pos + size > records.length) break;
    const baseOffset = records.readInt32BE(pos) * 4294967296 + records.readUInt32BE(pos + 4);
    nextOffset = baseOffset + records.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
    pos += size;
  }
  return { bytes: pos, nextOffset };
}

export async function runConsume(s: ConsumerSettings, out: Output, err: Output): Promise<number> {
  const client = await KafkaClient.connect(s.bootstrap, { clientId: s.clientId, requestTimeoutMs: s.requestTimeoutMs });
  try {
    const startMs = Date.now();
    const tStart = performance.now();
    const topic = await client.topicMetadata(s.topic, { retries: 50 });
    const positions = await listStartOffsets(client, s, topic);
    const run = new ConsumeRun(s, client, topic, positions);
    const complete = await run.run(out);
    const tEnd = performance.now();
    const endMs = startMs + (tEnd - tStart);
    if (!complete) err(`WARNING: Exiting before consuming the expected number of messages: timeout (${s.timeoutMs} ms) exceeded.`);
    const seconds = (tEnd - tStart) / 1000;
    const mb = run.bytes / MIB;
    if (!s.hideHeader) out('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    out(`${kafkaTime(startMs)}, ${kafkaTime(endMs)}, ${mb.toFixed(4)}, ${(mb / seconds).toFixed(4)}, ${run.records}, ${(run.records / seconds).toFixed(4)}, ` +
      `0, ${Math.round(tEnd - tStart)}, ${(mb / seconds).toFixed(4)}, ${(run.records / seconds).toFixed(4)}`);
    if (s.json) {
      const active = run.tFirstRecord > 0 ? (run.tLastRecord - run.tFirstRecord) / 1000 : 0;
      out(JSON.stringify({
        tool: 'sherwood perf consume', topic: s.topic, partitions: positions.length, records: run.records, bytes: run.bytes,
        seconds, first_record_s: run.tFirstRecord > 0 ? (run.tFirstRecord - tStart) / 1000 : null, active_seconds: active,
        records_per_s: active > 0 ? Math.round(run.records / active) : 0,
        MB_per_s: active > 0 ? Math.round(run.bytes / active / 1e5) / 10 : 0,
      }));
    }
    return complete ? 0 : 1;
  } finally {
    await client.close();
  }
}
