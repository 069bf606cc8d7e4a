/**
 * Metadata records: every change to cluster metadata is one or more of these, appended to the
 * metadata journal and replayed into a MetadataImage (metadata-delta.ts). They mirror KRaft's
 * records of the same names (apache/kafka `metadata/src/main/resources/common/metadata/`)
 * where they apply, with only the fields Sherwood uses:
 *
 *   TopicRecord            { name, topicId }                        a topic exists
 *   PartitionRecord        { topicId, partitionId, replicas, isr,   a partition exists (or is
 *                            leader, leaderEpoch, partitionEpoch,    re-registered whole)
 *                            addingReplicas?, removingReplicas? }    (a reassignment in progress)
 *   PartitionChangeRecord  { topicId, partitionId, leader?, isr?,   a partition changes; absent
 *                            replicas?, addingReplicas?,             fields do not change ([]
 *                            removingReplicas? }                     ends a reassignment); the
 *                                                                    partitionEpoch always bumps,
 *                                                                    the leaderEpoch when the
 *                                                                    leader changes
 *   RemoveTopicRecord      { topicId }                              a topic (and its configs) goes
 *   ConfigRecord           { resourceType, resourceName, name,      one config set (value) or
 *                            value }                                 removed (value null); a
 *                                                                    broker resource name is ''
 *                                                                    (cluster default) or an id
 *   RegisterBrokerRecord   { brokerId, rack, endpoints? }           a broker joins (endpoints:
 *                                                                    its listeners, in a cluster)
 *   ProducerIdsRecord      { brokerId, nextProducerId }             producer ids below
 *                                                                    nextProducerId are handed out
 *
 * Serialized form (the journal and snapshot payloads, see file-metadata-store.ts): one JSON
 * object per record, `{"type": "<record name>", ...fields}`, with topic ids as Kafka's Uuid
 * string (22 characters of base64url, no padding). `decodeRecord` checks every field's type and
 * throws CorruptRecordError for anything else, so a journal never yields a half-valid record.
 */
import { CorruptRecordError } from '../../base/errors.js';

/** KRaft's LeaderConstants.NO_LEADER. */
export const NO_LEADER = -1;

export interface TopicRecord {
  readonly type: 'TopicRecord';
  readonly name: string;
  readonly topicId: Buffer;
}

export interface PartitionRecord {
  readonly type: 'PartitionRecord';
  readonly topicId: Buffer;
  readonly partitionId: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  /** A reassignment in progress: replicas being added (in `replicas`, catching up). Absent: none. */
  readonly addingReplicas?: readonly number[];
  /** A reassignment in progress: replicas to remove once the adding ones are in the ISR. */
  readonly removingReplicas?: readonly number[];
}

export interface PartitionChangeRecord {
  readonly type: 'PartitionChangeRecord';
  readonly topicId: Buffer;
  readonly partitionId: number;
  readonly leader?: number;
  readonly isr?: readonly number[];
  readonly replicas?: readonly number[];
  readonly addingReplicas?: readonly number[];
  readonly removingReplicas?: readonly number[];
}

export interface RemoveTopicRecord {
  readonly type: 'RemoveTopicRecord';
  readonly topicId: Buffer;
}

export type ConfigResourceType = 'topic' | 'broker';

export interface ConfigRecord {
  readonly type: 'ConfigRecord';
  readonly resourceType: ConfigResourceType;
  /** A topic name; for brokers '' (the cluster-wide default) or a broker id. */
  readonly resourceName: string;
  readonly name: string;
  /** null removes the config. */
  readonly value: string | null;
}

/** One listener of a broker (KRaft's BrokerEndpoint): where other brokers and clients reach it. */
export interface BrokerEndpointRecord {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface RegisterBrokerRecord {
  readonly type: 'RegisterBrokerRecord';
  readonly brokerId: number;
  readonly rack: string | null;
  /** Absent for a standalone broker (it answers with its own listeners). */
  readonly endpoints?: readonly BrokerEndpointRecord[];
}

export interface ProducerIdsRecord {
  readonly type: 'ProducerIdsRecord';
  readonly brokerId: number;
  readonly nextProducerId: number;
}

export type MetadataRecord =
  | TopicRecord | PartitionRecord | PartitionChangeRecord | RemoveTopicRecord | ConfigRecord | RegisterBrokerRecord | ProducerIdsRecord;

/** Kafka's Uuid.toString: base64url of the 16 bytes without padding. */
export function uuidToString(id: Buffer): string {
  return id.toString('base64url');
}

/** Kafka's Uuid.fromString; throws CorruptRecordError unless it is 16 bytes. */
export function uuidFromString(s: string): Buffer {
  const b = Buffer.from(s, 'base64url');
  if (b.length !== 16 || uuidToString(b) !== s) throw new CorruptRecordError(`bad topic id ${s}`);
  return b;
}

/** The JSON-able object for one record. */
export function encodeRecord(r: MetadataRecord): Record<string, unknown> {
  switch (r.type) {
    case 'TopicRecord':
      return { type: r.type, name: r.name, topicId: uuidToString(r.topicId) };
    case 'PartitionRecord':
      return {
        type: r.type, topicId: uuidToString(r.topicId), partitionId: r.partitionId, replicas: r.replicas, isr: r.isr,
        leader: r.leader, leaderEpoch: r.leaderEpoch, partitionEpoch: r.partitionEpoch,
        ...(r.addingReplicas !== undefined && r.addingReplicas.length > 0 ? { addingReplicas: r.addingReplicas } : {}),
        ...(r.removingReplicas !== undefined && r.removingReplicas.length > 0 ? { removingReplicas: r.removingReplicas } : {}),
      };
    case 'PartitionChangeRecord': {
      const o: Record<string, unknown> = { type: r.type, topicId: uuidToString(r.topicId), partitionId: r.partitionId };
      if (r.leader !== undefined) o['leader'] = r.leader;
      if (r.isr !== undefined) o['isr'] = r.isr;
      if (r.replicas !== undefined) o['replicas'] = r.replicas;
      if (r.addingReplicas !== undefined) o['addingReplicas'] = r.addingReplicas;
      if (r.removingReplicas !== undefined) o['removingReplicas'] = r.removingReplicas;
      return o;
    }
    case 'RemoveTopicRecord':
      return { type: r.type, topicId: uuidToString(r.topicId) };
    case 'ConfigRecord':
      return { type: r.type, resourceType: r.resourceType, resourceName: r.resourceName, name: r.name, value: r.value };
    case 'RegisterBrokerRecord':
      return { type: r.type, brokerId: r.brokerId, rack: r.rack, ...(r.endpoints === undefined ? {} : { endpoints: r.endpoints.map((e) => ({ name: e.name, host: e.host, port: e.port })) }) };
    case 'ProducerIdsRecord':
      return { type: r.type, brokerId: r.brokerId, nextProducerId: r.nextProducerId };
  }
}

class Fields {
  constructor(private readonly o: Record<string, unknown>, private readonly type: string) {}

  private bad(name: string): never {
    throw new CorruptRecordError(`metadata record ${this.type}: bad field ${name}`);
  }

  str(name: string): string {
    const v = this.o[name];
    return typeof v === 'string' ? v : this.bad(name);
  }

  nullableStr(name: string): string | null {
    const v = this.o[name];
    return v === null ? null : typeof v === 'string' ? v : this.bad(name);
  }

  int(name: string, min = -(2 ** 31)): number {
    const v = this.o[name];
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? v : this.bad(name);
  }

  ints(name: string): number[] {
    const v = this.o[name];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x))) this.bad(name);
    return v as number[];
  }

  endpoints(name: string): BrokerEndpointRecord[] {
    const v = this.o[name];
    if (!Array.isArray(v)) this.bad(name);
    return v.map((e: unknown) => {
      if (typeof e !== 'object' || e === null) this.bad(name);
      const f = new Fields(e as Record<string, unknown>, this.type);
      return { name: f.str('name'), host: f.str('host'), port: f.int('port', 0) };
    });
  }

  uuid(name: string): Buffer {
    return uuidFromString(this.str(name));
  }

  has(name: string): boolean {
    return this.o[name] !== undefined;
  }
}

/** The record for one decoded JSON value; throws CorruptRecordError if it is not one. */
export function decodeRecord(value: unknown): MetadataRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CorruptRecordError('metadata record is not an object');
  const o = value as Record<string, unknown>;
  const type = o['type'];
  const f = new Fields(o, String(type));
  switch (type) {
    case 'TopicRecord':
      return { type, name: f.str('name'), topicId: f.uuid('topicId') };
    case 'PartitionRecord':
      return {
        type, topicId: f.uuid('topicId'), partitionId: f.int('partitionId', 0), replicas: f.ints('replicas'), isr: f.ints('isr'),
        leader: f.int('leader', -1), leaderEpoch: f.int('leaderEpoch', 0), partitionEpoch: f.int('partitionEpoch', 0),
        ...(f.has('addingReplicas') ? { addingReplicas: f.ints('addingReplicas') } : {}),
        ...(f.has('removingReplicas') ? { removingReplicas: f.ints('removingReplicas') } : {}),
      };
    case 'PartitionChangeRecord':
      return {
        type, topicId: f.uuid('topicId'), partitionId: f.int('partitionId', 0),
        ...(f.has('leader') ? { leader: f.int('leader', -1) } : {}),
        ...(f.has('isr') ? { isr: f.ints('isr') } : {}),
        ...(f.has('replicas') ? { replicas: f.ints('replicas') } : {}),
        ...(f.has('addingReplicas') ? { addingReplicas: f.ints('addingReplicas') } : {}),
        ...(f.has('removingReplicas') ? { removingReplicas: f.ints('removingReplicas') } : {}),
      };
    case 'RemoveTopicRecord':
      return { type, topicId: f.uuid('topicId') };
    case 'ConfigRecord': {
      const resourceType = f.str('resourceType');
      if (resourceType !== 'topic' && resourceType !== 'broker') throw new CorruptRecordError(`metadata record ConfigRecord: bad resourceType ${resourceType}`);
      return { type, resourceType, resourceName: f.str('resourceName'), name: f.str('name'), value: f.nullableStr('value') };
    }
    case 'RegisterBrokerRecord':
      return { type, brokerId: f.int('brokerId', 0), rack: f.nullableStr('rack'), ...(f.has('endpoints') ? { endpoints: f.endpoints('endpoints') } : {}) };
    case 'ProducerIdsRecord':
      return { type, brokerId: f.int('brokerId', 0), nextProducerId: f.int('nextProducerId', 0) };
    default:
      throw new CorruptRecordError(`unknown metadata record type ${String(type)}`);
  }
}
