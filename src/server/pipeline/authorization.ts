/**
 * Stage 2 of the request pipeline: what the principal may do (Kafka's Authorizer, KIP-504).
 *
 * Authorization in Kafka is per resource, so it happens in two places:
 * - the pipeline checks an API's cluster-level requirement before the handler runs (e.g. the
 *   inter-broker APIs need CLUSTER_ACTION on the cluster); a refusal is answered by the
 *   handler's own error response shape, so it goes through `RequestContext.denied`;
 * - handlers check each topic, group or transactional id they touch with `authorize(ctx, ...)`
 *   and answer TOPIC_AUTHORIZATION_FAILED etc. per item, as Kafka does.
 * With no authorizer configured (Kafka's default) everything is allowed.
 */
export type AclOperation =
  | 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE' | 'CLUSTER_ACTION'
  | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'IDEMPOTENT_WRITE' | 'CREATE_TOKENS' | 'DESCRIBE_TOKENS';

export type ResourceType = 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID' | 'DELEGATION_TOKEN' | 'USER';

/** Kafka's name of the one cluster resource. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';

export interface AuthorizationRequest {
  principal: string;
  /** The client's address, as ACLs match hosts. */
  host: string;
  operation: AclOperation;
  resourceType: ResourceType;
  resourceName: string;
}

export interface Authorizer {
  authorize(request: AuthorizationRequest): boolean;
}

/** No authorizer configured: every operation is allowed (Kafka without authorizer.class.name). */
export const allowAllAuthorizer: Authorizer = {
  authorize: () => true,
};
