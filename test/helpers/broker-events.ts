/**
 * Events of an in-process broker that tests wait on instead of sleeping (see ./wait.ts):
 * - `highWatermarkReached`: a partition's high watermark got to an offset (its own listener);
 * - `RequestTracker`: requests started and finished per API (wraps the handler map, which the
 *   router reads on every request — as the compatibility matrix's VersionRecorder does);
 * - `countingTransport`: the broker's side of the connections, open or closed (a TCP transport
 *   passed to startBroker({ transport })).
 * Together they say when a broker is quiet: every connection closed on its side and no request
 * running, so nothing more can be appended or answered.
 */
import { tcpTransport, type Transport } from '../../src/base/transport.js';
import type { RunningBroker } from '../../src/index.js';
import type { Handler } from '../../src/server/handler.js';

/**
 * Resolves once a partition's high watermark reaches `offset`: woken by Partition.onStateChange,
 * no polling; fails after timeoutMs with the high watermark it got to.
 */
export async function highWatermarkReached(b: RunningBroker, topic: string, partition: number, offset: number, timeoutMs = 20_000): Promise<void> {
  const p = b.broker.replicaManager.getPartition(topic, partition);
  if (p === undefined) throw new Error(`${topic}-${partition} is not hosted by this broker`);
  if (p.highWatermark >= offset) return;
  let unsubscribe = (): void => {};
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      unsubscribe = p.onStateChange(() => { if (p.highWatermark >= offset) resolve(); });
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${topic}-${partition}'s high watermark to reach ${offset} (it is ${p.highWatermark})`)), timeoutMs);
    });
  } finally {
    unsubscribe();
    clearTimeout(timer);
  }
}

/** Requests an in-process broker started and finished (answered or failed), by API name. */
export class RequestTracker {
  private readonly startedByApi = new Map<string, number>();
  private readonly finishedByApi = new Map<string, number>();
  private running = 0;

  private constructor() {}

  /** Wraps every handler of `b`; attach before the clients connect. */
  static attach(b: RunningBroker): RequestTracker {
    const t = new RequestTracker();
    const handlers = b.broker.handlers as Map<number, Handler>;
    for (const [key, h] of handlers) {
      const name = h.api.name;
      handlers.set(key, {
        ...h,
        handle: (ctx, req) => {
          t.startedByApi.set(name, (t.startedByApi.get(name) ?? 0) + 1);
          t.running++;
          const done = (): void => {
            t.running--;
            t.finishedByApi.set(name, (t.finishedByApi.get(name) ?? 0) + 1);
          };
          let result: unknown;
          try {
            result = h.handle(ctx, req);
          } catch (err) {
            done();
            throw err;
          }
          if (result instanceof Promise) return result.finally(done);
          done();
          return result as never;
        },
      });
    }
    return t;
  }

  started(api: string): number {
    return this.startedByApi.get(api) ?? 0;
  }

  finished(api: string): number {
    return this.finishedByApi.get(api) ?? 0;
  }

  /** Requests whose handler has started and not yet finished. */
  get inFlight(): number {
    return this.running;
  }
}

export interface CountingTransport extends Transport {
  /** Connections the broker accepted and has not yet seen close. */
  readonly open: number;
  /** Connections the broker accepted so far. */
  readonly accepted: number;
}

/** TCP, counting the broker's side of its connections (pass as startBroker's `transport`). */
export function countingTransport(inner: Transport = tcpTransport): CountingTransport {
  let open = 0;
  let accepted = 0;
  return {
    get open() { return open; },
    get accepted() { return accepted; },
    listen: (host, port, onConnection, onError) => inner.listen(host, port, (socket) => {
      open++;
      accepted++;
      socket.on('close', () => { open--; });
      onConnection(socket);
    }, onError),
    connect: (host, port, options) => inner.connect(host, port, options),
  };
}
