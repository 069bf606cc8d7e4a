/**
 * Producer ids for InitProducerId (Kafka's ProducerIdManager / RPCProducerIdManager).
 *
 * Ids come in blocks of PRODUCER_ID_BLOCK_SIZE (Kafka's 1000) allocated through the metadata
 * (a ProducerIdsRecord appended by the controller: on a single broker the TopicManager, in a
 * cluster the etcd store), so an id is never handed out twice, by any broker, across restarts.
 * The broker serves ids from its current block and asks for the next one when 90% of it is
 * used, as Kafka does, so allocation rarely waits for a metadata write. While no block is
 * available `generateProducerId` rejects with ProducerIdsUnavailableError, which InitProducerId
 * answers COORDINATOR_LOAD_IN_PROGRESS (retriable), Kafka's answer.
 */
import { BrokerError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000;
/** Ask for the next block once this fraction of the current one is used. */
const PREFETCH_FRACTION = 0.9;

export interface ProducerIdManager {
  generateProducerId(): Promise<number>;
  /** Fetches a first block in the background if there is none (a cluster member at start). */
  warmUp?(): void;
}

/** Where blocks come from (the metadata controller). */
export interface ProducerIdBlockSource {
  allocateProducerIdBlock(brokerId: number, size: number): Promise<{ firstProducerId: number; size: number }>;
}

export class ProducerIdsUnavailableError extends BrokerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SHERWOOD_STORAGE', message, options);
    this.name = 'ProducerIdsUnavailableError';
  }
}

interface Block {
  next: number;
  end: number;
  size: number;
}

export class BlockProducerIdManager implements ProducerIdManager {
  private current: Block | null = null;
  private prefetched: Block | null = null;
  private fetching: Promise<void> | null = null;

  constructor(
    private readonly brokerId: number,
    private readonly source: ProducerIdBlockSource,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly blockSize = PRODUCER_ID_BLOCK_SIZE,
  ) {}

  async generateProducerId(): Promise<number> {
    // Concurrent callers may share one fetch and find its block used up by the others: loop
    // (every successful fetch adds a block, so this ends; a failed fetch rejects).
    while (this.current === null || this.current.next >= this.current.end) {
      if (this.prefetched !== null) {
        this.current = this.prefetched;
        this.prefetched = null;
        continue;
      }
      await this.fetchBlock();
    }
    const block = this.current;
    const id = block.next++;
    if (this.prefetched === null && this.fetching === null && block.next >= block.end - block.size * (1 - PREFETCH_FRACTION)) {
      this.fetchBlock().catch((err: unknown) => this.logger.warn('prefetching a producer id block failed', { error: String(err) }));
    }
    return id;
  }

  /**
   * A cluster member asks for its first block when it starts, not on the first InitProducerId:
   * blocks come from etcd, and a new idempotent producer must still get an id while etcd is
   * unreachable for a while (Kafka's brokers need their controller there; here a broker that
   * has a block serves from it).
   */
  warmUp(): void {
    if (this.current !== null || this.prefetched !== null || this.fetching !== null) return;
    this.fetchBlock().catch((err: unknown) => this.logger.warn('fetching a first producer id block failed; the first InitProducerId will ask again', { error: String(err) }));
  }

  /** Fetches one block into `prefetched` (one request at a time). */
  private fetchBlock(): Promise<void> {
    this.fetching ??= (async () => {
      try {
        const b = await this.source.allocateProducerIdBlock(this.brokerId, this.blockSize);
        this.prefetched = { next: b.firstProducerId, end: b.firstProducerId + b.size, size: b.size };
      } catch (err) {
        throw new ProducerIdsUnavailableError('allocating a producer id block failed', { cause: err });
      } finally {
        this.fetching = null;
      }
    })();
    return this.fetching;
  }
}
