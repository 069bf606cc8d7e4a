/**
 * The metadata image: an immutable view of the cluster metadata after `offset` records, as
 * KRaft's MetadataImage (TopicsImage, TopicImage, PartitionRegistration, ConfigurationsImage,
 * ClusterImage, ProducerIdsImage). Readers hold an image and never see it change; a change is
 * a MetadataDelta (metadata-delta.ts) applied to an image, giving the next image.
 *
 * Cost: topics are kept in persistent maps (persistent-map.ts) by name, by id and by
 * collision-unified name, so the next image shares everything that did not change: one topic
 * change costs O(log N) map nodes plus O(partitions of that topic), never a copy of every
 * topic. Brokers, broker configs and per-broker partition counts are small (one entry per
 * broker) and copied when they change.
 *
 * TopicImage.configs holds only the topic's explicit overrides; effective values are resolved
 * against the broker layers by topic-config.ts. A TopicImage's `partitions` array is indexed by
 * partition id and has no gaps.
 */
import { PersistentMap } from './persistent-map.js';
import type { BrokerEndpointRecord, MetadataRecord } from './metadata-records.js';

export interface PartitionRegistration {
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** -1: no leader. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  /**
   * A reassignment in progress (AlterPartitionReassignments): `replicas` is then the target
   * replicas followed by the ones being removed; the adding ones are in it but still catching
   * up. Absent (or empty) when none is.
   */
  readonly addingReplicas?: readonly number[];
  readonly removingReplicas?: readonly number[];
}

export interface TopicImage {
  readonly name: string;
  readonly topicId: Buffer;
  readonly isInternal: boolean;
  /** Index = partition id. */
  readonly partitions: readonly PartitionRegistration[];
  /** Explicit overrides. */
  readonly configs: Readonly<Record<string, string>>;
}

export interface BrokerRegistration {
  readonly brokerId: number;
  readonly rack: string | null;
  /** Its listeners (cluster members register them once bound); absent for a standalone broker. */
  readonly endpoints?: readonly BrokerEndpointRecord[];
}

export interface MetadataImage {
  /** The number of records applied (the journal position). */
  readonly offset: number;
  topic(name: string): TopicImage | undefined;
  topicById(id: Buffer): TopicImage | undefined;
  topics(): Iterable<TopicImage>;
  readonly topicCount: number;
  /** Dynamic broker configs: the cluster-wide default layer, or one broker's layer. */
  brokerConfigs(scope: 'default' | number): Readonly<Record<string, string>>;
  brokers(): Iterable<BrokerRegistration>;
  /** From ProducerIdsRecord; 0 if none. */
  nextProducerId(): number;
  // -- Sherwood additions --
  broker(brokerId: number): BrokerRegistration | undefined;
  /** Names of the topics whose collision-unified name (topic-name.ts) is `unified`. */
  topicsWithUnifiedName(unified: string): readonly string[];
  /** Partitions of every topic. */
  readonly partitionCount: number;
  /** Partition replicas placed on the broker (what a per-broker partition limit counts). */
  replicaCount(brokerId: number): number;
}

export interface MetadataChanges {
  /** After-images. */
  readonly createdTopics: readonly TopicImage[];
  /** Before-images. */
  readonly deletedTopics: readonly TopicImage[];
  /**
   * Every partition whose registration is new or changed (created topics and added partitions
   * included), with the after-image of its topic.
   */
  readonly changedPartitions: readonly { topic: TopicImage; partition: number; before: PartitionRegistration | undefined; after: PartitionRegistration }[];
  /** After-images of existing topics whose overrides changed (created topics are not listed). */
  readonly changedTopicConfigs: readonly TopicImage[];
  readonly brokerConfigsChanged: boolean;
}

export interface MetadataListener {
  onMetadataUpdate(changes: MetadataChanges, image: MetadataImage): Promise<void>;
}

const NO_CONFIGS: Readonly<Record<string, string>> = Object.freeze({});

/** The parts an image is made of; MetadataDelta builds the next one from these. */
export interface ImageParts {
  readonly offset: number;
  readonly byName: PersistentMap<TopicImage>;
  /** Key: topic id as hex. */
  readonly byId: PersistentMap<TopicImage>;
  readonly byUnifiedName: PersistentMap<readonly string[]>;
  /** Key: '' for the cluster default, else the broker id as a string. */
  readonly brokerConfigLayers: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly brokerRegistrations: ReadonlyMap<number, BrokerRegistration>;
  readonly nextProducerId: number;
  readonly partitionCount: number;
  readonly replicasPerBroker: ReadonlyMap<number, number>;
}

export class MetadataImageImpl implements MetadataImage {
  constructor(readonly parts: ImageParts) {}

  get offset(): number {
    return this.parts.offset;
  }

  topic(name: string): TopicImage | undefined {
    return this.parts.byName.get(name);
  }

  topicById(id: Buffer): TopicImage | undefined {
    return this.parts.byId.get(id.toString('hex'));
  }

  topics(): Iterable<TopicImage> {
    return this.parts.byName.values();
  }

  get topicCount(): number {
    return this.parts.byName.size;
  }

  brokerConfigs(scope: 'default' | number): Readonly<Record<string, string>> {
    return this.parts.brokerConfigLayers.get(brokerConfigKey(scope)) ?? NO_CONFIGS;
  }

  brokers(): Iterable<BrokerRegistration> {
    return this.parts.brokerRegistrations.values();
  }

  broker(brokerId: number): BrokerRegistration | undefined {
    return this.parts.brokerRegistrations.get(brokerId);
  }

  nextProducerId(): number {
    return this.parts.nextProducerId;
  }

  topicsWithUnifiedName(unified: string): readonly string[] {
    return this.parts.byUnifiedName.get(unified) ?? [];
  }

  get partitionCount(): number {
    return this.parts.partitionCount;
  }

  replicaCount(brokerId: number): number {
    return this.parts.replicasPerBroker.get(brokerId) ?? 0;
  }
}

/** The key of a broker config layer: '' is the cluster default. */
export function brokerConfigKey(scope: 'default' | number | string): string {
  return scope === 'default' ? '' : String(scope);
}

export const EMPTY_METADATA_IMAGE: MetadataImage = new MetadataImageImpl({
  offset: 0,
  byName: PersistentMap.empty(),
  byId: PersistentMap.empty(),
  byUnifiedName: PersistentMap.empty(),
  brokerConfigLayers: new Map(),
  brokerRegistrations: new Map(),
  nextProducerId: 0,
  partitionCount: 0,
  replicasPerBroker: new Map(),
});

/** The same image at another offset (a snapshot rebuilds an image from fewer records than it covers). */
export function imageAtOffset(image: MetadataImage, offset: number): MetadataImage {
  return new MetadataImageImpl({ ...imageParts(image), offset });
}

/** The parts of any image (every image is a MetadataImageImpl; anything else is a bug). */
export function imageParts(image: MetadataImage): ImageParts {
  if (!(image instanceof MetadataImageImpl)) throw new TypeError('not a MetadataImageImpl');
  return image.parts;
}

/**
 * Records that rebuild `image` from an empty one (what a snapshot stores): brokers, producer
 * ids and broker configs first, then each topic with its configs and partitions.
 */
export function* imageRecords(image: MetadataImage): Generator<MetadataRecord> {
  for (const b of image.brokers()) yield { type: 'RegisterBrokerRecord', brokerId: b.brokerId, rack: b.rack, ...(b.endpoints === undefined ? {} : { endpoints: b.endpoints }) };
  // The image keeps only the high mark (as KRaft's ProducerIdsImage); which broker asked for
  // the last block does not matter after the fact.
  if (image.nextProducerId() > 0) yield { type: 'ProducerIdsRecord', brokerId: 0, nextProducerId: image.nextProducerId() };
  for (const [key, layer] of imageParts(image).brokerConfigLayers) {
    for (const [name, value] of Object.entries(layer)) yield { type: 'ConfigRecord', resourceType: 'broker', resourceName: key, name, value };
  }
  for (const t of image.topics()) {
    yield { type: 'TopicRecord', name: t.name, topicId: t.topicId };
    for (const [name, value] of Object.entries(t.configs)) yield { type: 'ConfigRecord', resourceType: 'topic', resourceName: t.name, name, value };
    for (let i = 0; i < t.partitions.length; i++) {
      const p = t.partitions[i]!;
      yield {
        type: 'PartitionRecord', topicId: t.topicId, partitionId: i, replicas: p.replicas, isr: p.isr,
        leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch,
        ...(p.addingReplicas === undefined ? {} : { addingReplicas: p.addingReplicas }),
        ...(p.removingReplicas === undefined ? {} : { removingReplicas: p.removingReplicas }),
      };
    }
  }
}
