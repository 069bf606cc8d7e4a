/**
 * Listeners: one server of the injected Transport (TCP by default; base/transport.ts) per
 * configured listener, each connection handed to a Connection that frames requests and runs
 * them through the RequestRouter. This file and connection.ts are the only places that know
 * about sockets, and they see only the Transport's contract.
 *
 * `listen()` resolves with the ports actually bound (port 0 picks a free one) and rejects
 * with a ConfigError naming `listeners` when an address is in use or cannot be bound.
 * `close()` stops accepting, destroys every open connection and resolves when the servers
 * have closed.
 *
 * All connections share one RequestMemoryPool (queued.max.request.bytes): the broker-wide bound
 * on request and unflushed response bytes (see request-memory-pool.ts).
 */
import { ConfigError } from '../base/errors.js';
import { tcpTransport, type Transport, type TransportServer, type TransportSocket } from '../base/transport.js';
import type { Logger } from '../base/logger.js';
import type { Listener } from './config.js';
import { Connection, DEFAULT_CONNECTION_OPTIONS, type ConnectionOptions } from './connection.js';
import { RequestMemoryPool } from './request-memory-pool.js';
import type { RequestRouter } from './request-router.js';

export interface BoundListener extends Listener {
  /** The port actually bound. */
  boundPort: number;
}

export class SocketServer {
  private readonly router: RequestRouter;
  private readonly logger: Logger;
  private readonly options: ConnectionOptions;
  private readonly servers: TransportServer[] = [];
  private readonly transport: Transport;
  private readonly connections = new Set<Connection>();
  /** The memory every connection's requests and unflushed responses share. */
  readonly memoryPool: RequestMemoryPool;
  private nextConnectionId = 1;
  private closing = false;

  constructor(router: RequestRouter, logger: Logger, options: Partial<ConnectionOptions> = {}, transport: Transport = tcpTransport) {
    this.router = router;
    this.transport = transport;
    this.logger = logger;
    this.options = { ...DEFAULT_CONNECTION_OPTIONS, ...options };
    this.memoryPool = new RequestMemoryPool(this.options.queuedMaxRequestBytes);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async listen(listeners: Listener[]): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    try {
      for (const l of listeners) bound.push(await this.listenOne(l));
    } catch (err) {
      await this.close();
      throw err;
    }
    return bound;
  }

  private async listenOne(l: Listener): Promise<BoundListener> {
    try {
      const server = await this.transport.listen(l.host, l.port, (socket) => this.accept(socket, l),
        (err) => this.logger.error('listener error', { listener: l.name, error: err.message }));
      this.servers.push(server);
      return { ...l, boundPort: server.boundPort };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const where = `${l.host === '' ? '0.0.0.0' : l.host}:${l.port}`;
      const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EADDRNOTAVAIL' ? 'address not available' : e.message;
      throw new ConfigError(`listeners: cannot listen on ${l.name}://${where}: ${why}`, { cause: err });
    }
  }

  private accept(socket: TransportSocket, l: Listener): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const info = {
      id: this.nextConnectionId++,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      listenerName: l.name,
      principal: 'User:ANONYMOUS',
    };
    const connection = new Connection(socket, info, this.router, this.logger, this.options, (c) => this.connections.delete(c), this.memoryPool);
    this.connections.add(connection);
    this.logger.debug('connection accepted', { connection: info.id, remote: `${info.remoteAddress}:${info.remotePort}`, listener: l.name });
  }

  async close(): Promise<void> {
    this.closing = true;
    const closed = this.servers.map((s) => s.close());
    for (const c of [...this.connections]) c.close();
    this.connections.clear();
    this.servers.length = 0;
    await Promise.all(closed);
  }
}
