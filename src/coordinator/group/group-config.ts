/**
 * Kafka's broker settings for groups and offsets, as the group coordinator sees them, and the
 * per-request facts it records. The server builds this from the broker configuration
 * (src/server/group-runtime.ts); tests build it directly.
 */

/** Per-request facts the coordinator needs from the connection and header. */
export interface RequestInfo {
  apiVersion: number;
  clientId: string;
  /** As Kafka reports it: `/` + the client's address. */
  clientHost: string;
}

/** Kafka's broker settings for groups and offsets (names in comments). */
export interface GroupCoordinatorConfig {
  /** The partition count of `__consumer_offsets` (offsets.topic.num.partitions when it was created). */
  offsetsTopicNumPartitions: number;
  /** group.min.session.timeout.ms */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  groupInitialRebalanceDelayMs: number;
  /** group.max.size */
  groupMaxSize: number;
  /**
   * How long a new member's first JoinGroup may stay parked (KIP-394). Kafka's constant
   * CLASSIC_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS (5 minutes), not a broker setting: the server
   * always uses the default; only tests change it.
   */
  groupNewMemberJoinTimeoutMs: number;
  /** offsets.retention.minutes, in ms */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: Readonly<GroupCoordinatorConfig> = {
  offsetsTopicNumPartitions: 50,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1800000,
  groupInitialRebalanceDelayMs: 3000,
  groupMaxSize: 2147483647,
  groupNewMemberJoinTimeoutMs: 300000,
  offsetsRetentionMs: 10080 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600000,
  offsetMetadataMaxBytes: 4096,
};
