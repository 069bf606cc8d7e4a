// The injected network: TCP and the in-memory transport keep the same contract (data both
// ways, backpressure with 'drain', close seen by both ends, idle timeout, refused connects).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { MemoryTransport, tcpTransport, type Transport, type TransportSocket } from '../../../src/base/transport.js';

for (const [name, make] of [['tcp', () => tcpTransport], ['memory', () => new MemoryTransport()]] as const) {
  describe(`transport [${name}]`, () => {
    const transport: Transport = make();

    test('bytes flow both ways and a close reaches the other end', async () => {
      let accepted: TransportSocket | undefined;
      const server = await transport.listen('127.0.0.1', 0, (s) => {
        accepted = s;
        s.on('data', (d) => s.write(Buffer.from(d.toString().toUpperCase())));
        s.on('end', () => s.end());
      });
      assert.ok(server.boundPort > 0);
      const client = await transport.connect('127.0.0.1', server.boundPort);
      const got = once(client as never, 'data');
      client.write(Buffer.from('hello'));
      assert.equal(String((await got)[0]), 'HELLO');
      const closed = once(accepted as never, 'close');
      client.destroy();
      await closed;
      await server.close();
    });

    test('a reader that pauses makes the writer see backpressure, then drain once it reads', async () => {
      let accepted: TransportSocket | undefined;
      const server = await transport.listen('127.0.0.1', 0, (s) => {
        accepted = s;
        s.pause();
      });
      const client = await transport.connect('127.0.0.1', server.boundPort);
      const chunk = Buffer.alloc(256 * 1024, 1);
      let full = false;
      for (let i = 0; i < 200 && !full; i++) {
        full = !client.write(chunk);
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(full, 'write() returned false while the peer did not read');
      const drained = once(client as never, 'drain');
      let received = 0;
      accepted!.on('data', (d) => { received += d.length; });
      accepted!.resume();
      await drained;
      assert.ok(received > 0);
      client.destroy();
      await server.close();
    });

    test('an idle socket emits timeout', async () => {
      const server = await transport.listen('127.0.0.1', 0, () => undefined);
      const client = await transport.connect('127.0.0.1', server.boundPort);
      const t0 = Date.now();
      client.setTimeout(50);
      await once(client as never, 'timeout');
      assert.ok(Date.now() - t0 >= 40);
      client.destroy();
      await server.close();
    });

    test('connecting where nothing listens is refused', async () => {
      const server = await transport.listen('127.0.0.1', 0, () => undefined);
      const port = server.boundPort;
      await server.close();
      await assert.rejects(() => transport.connect('127.0.0.1', port), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    });
  });
}
