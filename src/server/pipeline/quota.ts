/**
 * Stage 3 of the request pipeline: client quotas (Kafka's ClientQuotaManager, KIP-13/KIP-124).
 * The quota manager records what a request costs its (user, client id) and answers how long
 * the client must be throttled. Kafka (KIP-219) answers at once with that `throttleTimeMs` in
 * the response and then mutes the connection for the same time; the router puts the value in
 * every response that has the field.
 *
 * No quotas are configured by default, and Sherwood does not implement quota configs yet:
 * `noQuotas` charges nothing and never throttles.
 */
import type { RequestContext } from '../handler.js';

export interface QuotaManager {
  /** Records the request's cost; returns the throttle time in ms (0: none). */
  recordRequest(ctx: RequestContext, requestBytes: number): number;
}

export const noQuotas: QuotaManager = {
  recordRequest: () => 0,
};
