/**
 * A private network for a chaos cluster: one Linux bridge in the host namespace and one
 * network namespace per broker, joined by a veth pair. Everything stays on this machine
 * (10.x addresses on a bridge with no uplink, no forwarding, no NAT).
 *
 *   host (clients, etcd)  bridge sw<tag>: 10.<a>.<b>.1 (clients' source), 10.<a>.<b>.2 (etcd)
 *   broker i (1-based)    netns sw<tag>-<i>, veth sw<tag>n<i>: 10.<a>.<b>.(10+i)
 *
 * Partitions are blackhole routes inside the broker namespaces: `cut(i, ip)` makes broker i
 * drop everything it sends to `ip` (so no TCP exchange with it works in either direction);
 * cutting i↔j means a route in both namespaces. Clients (host address .1) are never cut, so an
 * isolated broker can still be reached by clients (the interesting case: a deposed leader).
 * A blackholed destination fails the broker's own sends at once (EINVAL) while the peer sees
 * silence; that is a harsher partition for the cut side than a silent drop, not a softer one.
 *
 * Needs root, `ip` (iproute2) and network namespace support; `netnsAvailable()` probes all
 * three by creating and deleting a throw-away namespace. `destroy()` is idempotent and is
 * also registered on process exit, so an aborted campaign does not leave namespaces behind.
 */
import { execFileSync } from 'node:child_process';

const IP = '/usr/sbin/ip';

function ip(args: string[]): string {
  return execFileSync(IP, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

export function netnsAvailable(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root' };
  const probe = `swprobe${process.pid}`;
  try {
    ip(['netns', 'add', probe]);
    ip(['netns', 'del', probe]);
    return { ok: true };
  } catch (err) {
    try { ip(['netns', 'del', probe]); } catch { /* was not created */ }
    return { ok: false, reason: `ip netns does not work here: ${String((err as Error).message).split('\n')[0]}` };
  }
}

export class ChaosNet {
  readonly bridge: string;
  readonly hostIp: string;
  readonly etcdIp: string;
  private readonly prefix: string;
  private readonly cuts = new Set<string>();
  private created: string[] = [];
  private destroyed = false;
  private readonly onExit = (): void => this.destroy();

  constructor(readonly brokers: number, tag = String(process.pid % 100_000)) {
    this.bridge = `sw${tag}`;
    const n = process.pid % 60_000;
    this.prefix = `10.${100 + Math.floor(n / 250) % 150}.${n % 250}`;
    this.hostIp = `${this.prefix}.1`;
    this.etcdIp = `${this.prefix}.2`;
  }

  ns(i: number): string { return `${this.bridge}-${i}`; }
  brokerIp(i: number): string { return `${this.prefix}.${10 + i}`; }

  /** Creates the bridge and the namespaces; on failure removes what it made and throws. */
  create(): void {
    process.once('exit', this.onExit);
    try {
      ip(['link', 'add', this.bridge, 'type', 'bridge']);
      this.created.push(`link:${this.bridge}`);
      ip(['addr', 'add', `${this.hostIp}/24`, 'dev', this.bridge]);
      ip(['addr', 'add', `${this.etcdIp}/24`, 'dev', this.bridge]);
      ip(['link', 'set', this.bridge, 'up']);
      for (let i = 1; i <= this.brokers; i++) {
        const ns = this.ns(i);
        const host = `${this.bridge}h${i}`;
        const peer = `${this.bridge}n${i}`;
        ip(['netns', 'add', ns]);
        this.created.push(`netns:${ns}`);
        ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
        this.created.push(`link:${host}`);
        ip(['link', 'set', peer, 'netns', ns]);
        ip(['link', 'set', host, 'master', this.bridge, 'up']);
        ip(['-n', ns, 'link', 'set', 'lo', 'up']);
        ip(['-n', ns, 'addr', 'add', `${this.brokerIp(i)}/24`, 'dev', peer]);
        ip(['-n', ns, 'link', 'set', peer, 'up']);
      }
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** Command prefix that runs a program inside broker i's namespace. */
  exec(i: number): string[] { return [IP, 'netns', 'exec', this.ns(i)]; }

  /** Broker i drops what it sends to `dst` (an address on the bridge). */
  cut(i: number, dst: string): void {
    const key = `${i} ${dst}`;
    if (this.cuts.has(key)) return;
    ip(['-n', this.ns(i), 'route', 'add', 'blackhole', `${dst}/32`]);
    this.cuts.add(key);
  }

  /** Cuts brokers i and j from each other (both directions). */
  cutBrokers(i: number, j: number): void {
    this.cut(i, this.brokerIp(j));
    this.cut(j, this.brokerIp(i));
  }

  /** Removes every cut; returns how many routes it removed. Throws if one cannot be removed. */
  healAll(): number {
    let n = 0;
    for (const key of [...this.cuts]) {
      const [i, dst] = key.split(' ');
      try {
        ip(['-n', this.ns(Number(i)), 'route', 'del', 'blackhole', `${dst}/32`]);
      } catch (err) {
        // Already gone (e.g. the namespace was removed) is healed; anything else is not.
        if (!/No such process|Cannot open network namespace/.test(String((err as { stderr?: string }).stderr ?? err))) throw err;
      }
      this.cuts.delete(key);
      n++;
    }
    return n;
  }

  get activeCuts(): string[] { return [...this.cuts]; }

  /** Removes the namespaces and the bridge (veth pairs go with their namespace). Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener('exit', this.onExit);
    for (const item of this.created.reverse()) {
      const [kind, name] = item.split(':') as [string, string];
      try {
        if (kind === 'netns') ip(['netns', 'del', name]);
        else ip(['link', 'del', name]);
      } catch { /* already gone with its namespace */ }
    }
    this.created = [];
    this.cuts.clear();
  }
}
