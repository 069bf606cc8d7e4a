/**
 * Topic names, as Kafka's `org.apache.kafka.common.internals.Topic` defines them: non-empty, not
 * "." or "..", at most 249 characters of [a-zA-Z0-9._-]. Names starting with "__" are reserved
 * for internal topics. Because metric names replace '.' with '_', two names that differ only
 * there "collide" and Kafka refuses to create the second one.
 */

export const MAX_TOPIC_NAME_LENGTH = 249;

export const GROUP_METADATA_TOPIC_NAME = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC_NAME = '__transaction_state';
export const SHARE_GROUP_STATE_TOPIC_NAME = '__share_group_state';
/** KRaft's metadata log; it is never a normal topic and clients cannot create it. */
export const CLUSTER_METADATA_TOPIC_NAME = '__cluster_metadata';

const INTERNAL_TOPICS: ReadonlySet<string> = new Set([
  GROUP_METADATA_TOPIC_NAME,
  TRANSACTION_STATE_TOPIC_NAME,
  SHARE_GROUP_STATE_TOPIC_NAME,
]);

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's Topic.validate: null when the name is legal, else the message Kafka uses. */
export function validateTopicName(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  }
  if (!LEGAL.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

/** Kafka's Topic.isInternal: the coordinators' topics. */
export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}

/** Whether the name contains '.' or '_', the characters that can collide in metric names. */
export function hasCollisionChars(name: string): boolean {
  return name.includes('.') || name.includes('_');
}

/** Kafka's Topic.unifyCollisionChars: the metric-name form of a topic name. */
export function unifyCollisionChars(name: string): string {
  return name.replace(/\./g, '_');
}
