/**
 * PeerChannels: one BrokerChannel per other broker of the cluster, for the requests brokers send
 * each other besides replica fetches (Kafka's inter-broker NetworkClient): WriteTxnMarkers from
 * a transaction coordinator to partition leaders, AddPartitionsToTxn v4+ from a leader to a
 * transaction coordinator. Endpoints come from the metadata image (each broker registers its
 * listeners there) at connect time, on `inter.broker.listener.name` or the first listener.
 *
 * Contract: `get(id)` returns the same channel until `close()`; a channel's failures are
 * ChannelErrors its caller turns into a retriable Kafka error; the channels never retry.
 */
import type { Clock } from '../../base/clock.js';
import type { Transport } from '../../base/transport.js';
import { BrokerChannel } from './broker-channel.js';

export interface PeerChannelsOptions {
  localBrokerId: number;
  transport: Transport;
  clock: Clock;
  endpoint(brokerId: number): { host: string; port: number } | null;
  requestTimeoutMs: number;
}

export class PeerChannels {
  private readonly channels = new Map<number, BrokerChannel>();

  constructor(private readonly opts: PeerChannelsOptions) {}

  get(brokerId: number): BrokerChannel {
    let c = this.channels.get(brokerId);
    if (c === undefined) {
      const { opts } = this;
      c = new BrokerChannel(brokerId, {
        transport: opts.transport, clock: opts.clock, endpoint: () => opts.endpoint(brokerId),
        clientId: `broker-${opts.localBrokerId}-peer-${brokerId}`, requestTimeoutMs: opts.requestTimeoutMs, maxResponseBytes: 16 * 1024 * 1024,
      });
      this.channels.set(brokerId, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.channels.values()) c.close();
    this.channels.clear();
  }
}
