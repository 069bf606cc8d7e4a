/**
 * Controlled shutdown, the broker's side (Kafka's KafkaServer.controlledShutdown; KRaft's
 * BrokerLifecycleManager with wantShutDown): before it stops serving, a clustered broker asks
 * for its leaderships to be moved and waits until they are.
 *
 * Each attempt (re)sends the request — `membership.requestControlledShutdown()`, which flags
 * this broker's registration in etcd and resigns the controller role — then waits up to
 * `retryBackoffMs` until this broker's metadata image shows it leading no partition that the
 * controller can move (one with another live ISR member not shutting down; see
 * controller/controlled-shutdown.ts). After `maxRetries` attempts it gives up and the broker
 * stops anyway (the whole wait is at most maxRetries × retryBackoffMs, plus one etcd request
 * timeout if etcd does not answer): partitions it alone holds in sync cannot move (Kafka likewise shuts down after
 * controlled.shutdown.max.retries), and the controller moves the rest once its session ends.
 * Waiting re-checks the image every 100 ms (bounded: attempts x backoff).
 */
import type { Clock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { MetadataImage } from '../metadata/metadata-image.js';
import { movableLeaderships } from '../controller/controlled-shutdown.js';
import type { BrokerMembership } from './broker-membership.js';

export interface ControlledShutdownOptions {
  nodeId: number;
  membership: BrokerMembership;
  image(): MetadataImage;
  clock: Clock;
  logger: Logger;
  /** controlled.shutdown.max.retries */
  maxRetries: number;
  /** controlled.shutdown.retry.backoff.ms */
  retryBackoffMs: number;
}

const RECHECK_MS = 100;

/** Resolves true once this broker leads nothing movable, false when the attempts ran out. */
export async function controlledShutdown(opts: ControlledShutdownOptions): Promise<boolean> {
  const { membership, clock, logger, nodeId } = opts;
  const remaining = (): number => {
    const live = membership.liveBrokers();
    return movableLeaderships(opts.image(), nodeId, (b) => b === nodeId || live.has(b), (b) => b === nodeId || live.get(b)?.controlledShutdown === true);
  };
  const startedMs = clock.monotonicMs();
  // The whole wait, requests included (an etcd that does not answer must not stretch it).
  const overallDeadline = startedMs + opts.maxRetries * opts.retryBackoffMs;
  for (let attempt = 1; attempt <= opts.maxRetries && clock.monotonicMs() < overallDeadline; attempt++) {
    try {
      await membership.requestControlledShutdown();
    } catch (err) {
      logger.warn('controlled shutdown request failed', { attempt, error: String(err) });
    }
    const deadline = Math.min(overallDeadline, clock.monotonicMs() + opts.retryBackoffMs);
    for (;;) {
      const left = remaining();
      if (left === 0) {
        logger.info('controlled shutdown: leaderships moved', { nodeId, attempts: attempt, waitedMs: Math.round(clock.monotonicMs() - startedMs) });
        return true;
      }
      const now = clock.monotonicMs();
      if (now >= deadline) {
        logger.warn('controlled shutdown: leaderships not moved yet', { nodeId, attempt, leaderships: left });
        break;
      }
      await new Promise<void>((resolve) => clock.schedule(Math.min(RECHECK_MS, deadline - now), resolve));
    }
  }
  logger.warn('controlled shutdown: giving up; stopping with leaderships still held', { nodeId, leaderships: remaining() });
  return false;
}
