/**
 * Test helper: records which API versions a real client used against an in-process broker,
 * by wrapping the broker's handlers (the router reads the same map). The clients-* tests log
 * what they observed; docs/compatibility.md summarises it.
 */
import type { RunningBroker } from '../../src/index.js';
import type { Handler } from '../../src/server/handler.js';

export function recordApiVersions(b: RunningBroker): Map<string, Set<number>> {
  const seen = new Map<string, Set<number>>();
  const handlers = (b.broker as unknown as { handlers: Map<number, Handler> }).handlers;
  for (const [key, h] of handlers) {
    handlers.set(key, {
      ...h,
      handle(ctx, req) {
        let s = seen.get(h.api.name);
        if (s === undefined) seen.set(h.api.name, (s = new Set()));
        s.add(ctx.header.apiVersion);
        if (h.api.name === 'Fetch') {
          // KIP-227 usage: -1 sessionless, 0 opens a session, >0 incremental.
          const epoch = (req as { sessionEpoch: number }).sessionEpoch;
          let e = seen.get('Fetch.sessionEpoch');
          if (e === undefined) seen.set('Fetch.sessionEpoch', (e = new Set()));
          e.add(Math.min(epoch, 1));
        }
        return h.handle(ctx, req);
      },
    });
  }
  return seen;
}

export function formatVersions(seen: Map<string, Set<number>>): string {
  return [...seen].sort(([a], [b]) => a.localeCompare(b)).map(([name, vs]) => `${name} v${[...vs].sort((x, y) => x - y).join('/')}`).join(', ');
}
