/**
 * MetadataDelta: replays records against an image and produces the next image plus a summary
 * of what changed (KRaft's MetadataDelta / TopicsDelta / TopicDelta). Build one per published
 * change: `new MetadataDelta(image)`, `replay(record)` for each record, then `apply()`.
 *
 * Replay only records what the records touch (copy-on-write per topic: the topic's partition
 * array and overrides are copied the first time a record changes them), and `apply()` writes
 * the touched topics into the image's persistent maps. So a delta costs O(records + partitions
 * of the touched topics + log N), whatever the number of topics.
 *
 * A record that does not fit the image (a partition of an unknown topic, a topic name that
 * already exists, a gap in partition ids, a producer id going backwards) throws
 * CorruptRecordError: records are only ever produced by planning against the same image, so
 * such a record means a bug or a damaged journal, never bad client input.
 */
import { CorruptRecordError } from '../../base/errors.js';
import { isInternalTopic, unifyCollisionChars } from '../topic-name.js';
import {
  EMPTY_METADATA_IMAGE, MetadataImageImpl, brokerConfigKey, imageParts,
  type BrokerRegistration, type MetadataChanges, type MetadataImage, type PartitionRegistration, type TopicImage,
} from './metadata-image.js';
import { NO_LEADER, uuidToString, type ConfigRecord, type MetadataRecord, type PartitionChangeRecord } from './metadata-records.js';
import type { PersistentMap } from './persistent-map.js';

interface TopicState {
  /** The topic in the base image; undefined when this delta created it. */
  readonly before: TopicImage | undefined;
  readonly name: string;
  readonly topicId: Buffer;
  /** Copied from `before` on the first partition change; null while unchanged. */
  partitions: PartitionRegistration[] | null;
  /** Copied from `before` on the first config change; null while unchanged. */
  configs: Record<string, string> | null;
  readonly changed: Set<number>;
  configsChanged: boolean;
  removed: boolean;
}

export interface DeltaResult {
  image: MetadataImage;
  changes: MetadataChanges;
}

function fail(record: MetadataRecord, why: string): never {
  throw new CorruptRecordError(`cannot replay ${record.type}: ${why}`);
}

/** KRaft's PartitionRegistration.merge: absent fields keep their value; epochs bump. */
export function mergePartitionChange(prev: PartitionRegistration, change: PartitionChangeRecord): PartitionRegistration {
  const leader = change.leader ?? prev.leader;
  const adding = change.addingReplicas ?? prev.addingReplicas ?? [];
  const removing = change.removingReplicas ?? prev.removingReplicas ?? [];
  return {
    replicas: change.replicas ?? prev.replicas,
    isr: change.isr ?? prev.isr,
    leader,
    leaderEpoch: leader !== prev.leader ? prev.leaderEpoch + 1 : prev.leaderEpoch,
    partitionEpoch: prev.partitionEpoch + 1,
    ...reassigning(adding, removing),
  };
}

/** The reassignment fields of a registration: present only while one is in progress. */
function reassigning(adding: readonly number[], removing: readonly number[]): Pick<PartitionRegistration, 'addingReplicas' | 'removingReplicas'> {
  return adding.length === 0 && removing.length === 0 ? {} : { addingReplicas: [...adding], removingReplicas: [...removing] };
}

export class MetadataDelta {
  private readonly topicStates = new Map<string, TopicState>();
  /** Names created or removed in this delta: name → topic id hex, or null when removed. */
  private readonly names = new Map<string, string | null>();
  private brokerConfigLayers: Map<string, Readonly<Record<string, string>>> | null = null;
  private readonly brokerConfigsTouched = new Set<string>();
  private brokers: Map<number, BrokerRegistration> | null = null;
  private nextProducerId: number;
  private records = 0;

  constructor(readonly base: MetadataImage = EMPTY_METADATA_IMAGE) {
    this.nextProducerId = base.nextProducerId();
  }

  /** Records replayed so far. */
  get recordCount(): number {
    return this.records;
  }

  replayAll(records: Iterable<MetadataRecord>): this {
    for (const r of records) this.replay(r);
    return this;
  }

  replay(record: MetadataRecord): void {
    switch (record.type) {
      case 'TopicRecord': {
        if (this.currentHexByName(record.name) !== undefined) fail(record, `topic ${record.name} already exists`);
        const hex = record.topicId.toString('hex');
        if (this.topicStates.has(hex) || this.base.topicById(record.topicId) !== undefined) fail(record, `topic id ${uuidToString(record.topicId)} already exists`);
        this.topicStates.set(hex, {
          before: undefined, name: record.name, topicId: record.topicId, partitions: [], configs: {},
          changed: new Set(), configsChanged: false, removed: false,
        });
        this.names.set(record.name, hex);
        break;
      }
      case 'PartitionRecord': {
        const state = this.stateById(record, record.topicId);
        const parts = this.partitionsOf(state);
        if (record.partitionId > parts.length) fail(record, `partition ${record.partitionId} leaves a gap after ${parts.length - 1}`);
        parts[record.partitionId] = {
          replicas: [...record.replicas], isr: [...record.isr], leader: record.leader, leaderEpoch: record.leaderEpoch, partitionEpoch: record.partitionEpoch,
          ...reassigning(record.addingReplicas ?? [], record.removingReplicas ?? []),
        };
        state.changed.add(record.partitionId);
        break;
      }
      case 'PartitionChangeRecord': {
        const state = this.stateById(record, record.topicId);
        const parts = this.partitionsOf(state);
        const prev = parts[record.partitionId];
        if (prev === undefined) fail(record, `no partition ${record.partitionId} in ${state.name}`);
        parts[record.partitionId] = mergePartitionChange(prev, record);
        state.changed.add(record.partitionId);
        break;
      }
      case 'RemoveTopicRecord': {
        const state = this.stateById(record, record.topicId);
        state.removed = true;
        this.names.set(state.name, null);
        if (state.before === undefined) this.topicStates.delete(record.topicId.toString('hex'));
        break;
      }
      case 'ConfigRecord':
        this.replayConfig(record);
        break;
      case 'RegisterBrokerRecord':
        this.brokers ??= new Map(imageParts(this.base).brokerRegistrations);
        this.brokers.set(record.brokerId, { brokerId: record.brokerId, rack: record.rack, ...(record.endpoints === undefined ? {} : { endpoints: record.endpoints }) });
        break;
      case 'ProducerIdsRecord':
        if (record.nextProducerId < this.nextProducerId) fail(record, `nextProducerId ${record.nextProducerId} is below ${this.nextProducerId}`);
        this.nextProducerId = record.nextProducerId;
        break;
    }
    this.records++;
  }

  private replayConfig(record: ConfigRecord): void {
    if (record.resourceType === 'topic') {
      const hex = this.currentHexByName(record.resourceName);
      if (hex === undefined) fail(record, `no topic ${record.resourceName}`);
      const state = this.stateByHex(record, hex);
      state.configs ??= { ...state.before!.configs };
      if (record.value === null) delete state.configs[record.name];
      else state.configs[record.name] = record.value;
      state.configsChanged = true;
      return;
    }
    if (!/^(?:|\d+)$/.test(record.resourceName)) fail(record, `bad broker resource name '${record.resourceName}'`);
    const key = brokerConfigKey(record.resourceName);
    this.brokerConfigLayers ??= new Map(imageParts(this.base).brokerConfigLayers);
    const layer = { ...(this.brokerConfigLayers.get(key) ?? {}) };
    if (record.value === null) delete layer[record.name];
    else layer[record.name] = record.value;
    if (Object.keys(layer).length === 0) this.brokerConfigLayers.delete(key);
    else this.brokerConfigLayers.set(key, layer);
    this.brokerConfigsTouched.add(key);
  }

  /** The next image and what changed from the base. */
  apply(): DeltaResult {
    const base = imageParts(this.base);
    let { byName, byId, byUnifiedName, partitionCount } = base;
    const perBroker = new Map(base.replicasPerBroker);
    const count = (replicas: readonly number[], by: number) => {
      for (const b of replicas) perBroker.set(b, (perBroker.get(b) ?? 0) + by);
    };
    const createdTopics: TopicImage[] = [];
    const deletedTopics: TopicImage[] = [];
    const changedPartitions: MetadataChanges['changedPartitions'][number][] = [];
    const changedTopicConfigs: TopicImage[] = [];

    // Removals first, so a name removed and created again in one delta ends up on the new topic.
    for (const [hex, s] of this.topicStates) {
      if (!s.removed || s.before === undefined) continue;
      byName = byName.delete(s.name);
      byId = byId.delete(hex);
      byUnifiedName = withoutName(byUnifiedName, s.name);
      partitionCount -= s.before.partitions.length;
      for (const p of s.before.partitions) count(p.replicas, -1);
      deletedTopics.push(s.before);
    }
    for (const [hex, s] of this.topicStates) {
      if (s.removed) continue;
      const before = s.before;
      if (before !== undefined && s.changed.size === 0 && !s.configsChanged) continue;
      const after: TopicImage = {
        name: s.name, topicId: s.topicId, isInternal: isInternalTopic(s.name),
        partitions: s.partitions ?? before!.partitions, configs: s.configs ?? before!.configs,
      };
      byName = byName.set(s.name, after);
      byId = byId.set(hex, after);
      if (before === undefined) {
        byUnifiedName = withName(byUnifiedName, s.name);
        createdTopics.push(after);
      } else if (s.configsChanged && !sameConfigs(before.configs, after.configs)) {
        changedTopicConfigs.push(after);
      }
      const ids = before === undefined ? after.partitions.map((_, i) => i) : [...s.changed].sort((a, b) => a - b);
      for (const id of ids) {
        const prev = before?.partitions[id];
        const next = after.partitions[id]!;
        if (prev === undefined) partitionCount++;
        else count(prev.replicas, -1);
        count(next.replicas, 1);
        changedPartitions.push({ topic: after, partition: id, before: prev, after: next });
      }
    }
    for (const [b, n] of perBroker) if (n === 0) perBroker.delete(b);

    const image = new MetadataImageImpl({
      offset: base.offset + this.records,
      byName, byId, byUnifiedName,
      brokerConfigLayers: this.brokerConfigLayers ?? base.brokerConfigLayers,
      brokerRegistrations: this.brokers ?? base.brokerRegistrations,
      nextProducerId: this.nextProducerId,
      partitionCount,
      replicasPerBroker: perBroker,
    });
    const brokerConfigsChanged = [...this.brokerConfigsTouched].some((k) => !sameConfigs(base.brokerConfigLayers.get(k) ?? {}, image.parts.brokerConfigLayers.get(k) ?? {}));
    return { image, changes: { createdTopics, deletedTopics, changedPartitions, changedTopicConfigs, brokerConfigsChanged } };
  }

  // ---- lookups through the delta ------------------------------------------------------------

  private currentHexByName(name: string): string | undefined {
    if (this.names.has(name)) return this.names.get(name) ?? undefined;
    return this.base.topic(name)?.topicId.toString('hex');
  }

  private stateById(record: MetadataRecord, topicId: Buffer): TopicState {
    return this.stateByHex(record, topicId.toString('hex'));
  }

  private stateByHex(record: MetadataRecord, hex: string): TopicState {
    let state = this.topicStates.get(hex);
    if (state === undefined) {
      const before = this.base.topicById(Buffer.from(hex, 'hex'));
      if (before === undefined) fail(record, `no topic with id ${uuidToString(Buffer.from(hex, 'hex'))}`);
      state = { before, name: before.name, topicId: before.topicId, partitions: null, configs: null, changed: new Set(), configsChanged: false, removed: false };
      this.topicStates.set(hex, state);
    }
    if (state.removed) fail(record, `topic ${state.name} was removed`);
    return state;
  }

  private partitionsOf(state: TopicState): PartitionRegistration[] {
    state.partitions ??= [...state.before!.partitions];
    return state.partitions;
  }
}

function withName(m: PersistentMap<readonly string[]>, name: string): PersistentMap<readonly string[]> {
  const u = unifyCollisionChars(name);
  return m.set(u, [...(m.get(u) ?? []), name]);
}

function withoutName(m: PersistentMap<readonly string[]>, name: string): PersistentMap<readonly string[]> {
  const u = unifyCollisionChars(name);
  const rest = (m.get(u) ?? []).filter((n) => n !== name);
  return rest.length === 0 ? m.delete(u) : m.set(u, rest);
}

function sameConfigs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

/** A registration for a new partition led by the first live replica, as KRaft creates them. */
export function newPartitionRegistration(replicas: readonly number[], isLive: (brokerId: number) => boolean): PartitionRegistration {
  const isr = replicas.filter(isLive);
  return { replicas: [...replicas], isr, leader: isr[0] ?? NO_LEADER, leaderEpoch: 0, partitionEpoch: 0 };
}

/**
 * The same changes told with `image`'s own topic objects: when a store rebuilt `image` from
 * the same records, listeners then see after-images identical (===) to what the image holds.
 * Deleted topics keep their before-images.
 */
export function rebaseChanges(changes: MetadataChanges, image: MetadataImage): MetadataChanges {
  const same = (t: TopicImage): TopicImage => {
    const mine = image.topicById(t.topicId);
    if (mine === undefined) throw new CorruptRecordError(`the store's image has no topic ${t.name}`);
    return mine;
  };
  return {
    createdTopics: changes.createdTopics.map(same),
    deletedTopics: changes.deletedTopics,
    changedPartitions: changes.changedPartitions.map((c) => {
      const topic = same(c.topic);
      return { topic, partition: c.partition, before: c.before, after: topic.partitions[c.partition]! };
    }),
    changedTopicConfigs: changes.changedTopicConfigs.map(same),
    brokerConfigsChanged: changes.brokerConfigsChanged,
  };
}
