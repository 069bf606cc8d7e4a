/**
 * Interim (until the partition layer replaces it): keeps the partition logs in line with the
 * metadata image. As a MetadataListener it creates the logs of created topics and added
 * partitions (with the topic's LogConfig), deletes the logs of deleted topics, and pushes new
 * LogConfigs when topic overrides or dynamic broker configs change. At start-up, `reconcile`
 * creates every partition log the image names but the disk lacks, deletes every log the image
 * does not name (a delete the crash interrupted: the image is written before the logs are
 * touched, so a log without metadata is never one the metadata still wants), and applies each
 * topic's LogConfig to the logs that were opened with defaults.
 */
import type { Logger } from '../base/logger.js';
import type { LogManager } from '../storage/log-manager.js';
import type { LogConfig } from '../storage/log-config.js';
import type { MetadataChanges, MetadataImage, MetadataListener, TopicImage } from './metadata/metadata-image.js';
import type { TopicManager } from './topic-manager.js';

type Logs = Pick<LogManager, 'get' | 'all' | 'create' | 'delete' | 'updateConfig'>;

export class LogReconciler implements MetadataListener {
  constructor(private readonly logs: Logs, private readonly topics: Pick<TopicManager, 'get' | 'list' | 'image'>, private readonly logger: Logger) {}

  /** Start-up: make the logs on disk match the current image. */
  async reconcile(): Promise<void> {
    const image = this.topics.image;
    for (const l of this.logs.all()) {
      const t = image.topic(l.topic);
      if (t !== undefined && l.partition < t.partitions.length) continue;
      this.logger.warn('deleting partition log not in topic metadata (interrupted delete)', { topic: l.topic, partition: l.partition });
      await this.logs.delete(l.topic, l.partition);
    }
    for (const info of this.topics.list()) {
      for (let p = 0; p < info.numPartitions; p++) {
        if (this.logs.get(info.name, p) === undefined) await this.logs.create(info.name, p, info.logConfig);
        else this.logs.updateConfig(info.name, p, info.logConfig);
      }
    }
  }

  async onMetadataUpdate(changes: MetadataChanges, _image: MetadataImage): Promise<void> {
    for (const t of changes.deletedTopics) {
      for (let p = 0; p < t.partitions.length; p++) await this.logs.delete(t.name, p);
    }
    for (const c of changes.changedPartitions) {
      if (c.before !== undefined) continue;
      const config = this.logConfig(c.topic);
      if (config !== undefined) await this.logs.create(c.topic.name, c.partition, config);
    }
    for (const t of changes.changedTopicConfigs) {
      const config = this.logConfig(t);
      if (config !== undefined) this.applyConfig(t.name, t.partitions.length, config);
    }
    if (changes.brokerConfigsChanged) {
      for (const info of this.topics.list()) this.applyConfig(info.name, info.numPartitions, info.logConfig);
    }
  }

  private logConfig(t: TopicImage): LogConfig | undefined {
    return this.topics.get(t.name)?.logConfig;
  }

  private applyConfig(topic: string, partitions: number, config: LogConfig): void {
    for (let p = 0; p < partitions; p++) this.logs.updateConfig(topic, p, config);
  }
}
