/**
 * `etcd.connect`, in the style of Kafka's `zookeeper.connect`:
 *
 *   host:port[,host:port...][/prefix]
 *
 * Every endpoint is one etcd member's client URL (http, the v3 JSON gateway). The optional
 * `/prefix` (ZooKeeper's chroot) is where this cluster's keys live, so several Sherwood
 * clusters can share one etcd; without it keys start at `/` as a ZooKeeper path would. A
 * trailing `/` is dropped, so `h:2379/` and `h:2379` are the same cluster. IPv6 hosts go in
 * brackets (`[::1]:2379`).
 */
import { ConfigError } from '../../base/errors.js';
import type { EtcdEndpoint } from './etcd-transport.js';

export interface EtcdConnect {
  readonly endpoints: readonly EtcdEndpoint[];
  /** '' or '/a/b' (no trailing slash): keys are `${prefix}/brokers/1` and so on. */
  readonly prefix: string;
}

export function parseEtcdConnect(value: string, key = 'etcd.connect'): EtcdConnect {
  const text = value.trim();
  const bad = (why: string) => new ConfigError(`${key}: invalid value '${value}' (${why})`);
  if (text.length === 0) throw bad('expected host:port[,host:port...][/prefix]');
  const slash = text.indexOf('/');
  const hosts = slash < 0 ? text : text.slice(0, slash);
  let prefix = slash < 0 ? '' : text.slice(slash).replace(/\/+$/, '');
  if (/\/\//.test(prefix) || /\s/.test(prefix)) throw bad(`bad prefix '${prefix}'`);
  prefix = prefix === '/' ? '' : prefix;
  const endpoints = hosts.split(',').map((h) => {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(h.trim());
    if (m === null) throw bad(`'${h}' is not host:port`);
    const port = Number(m[3]);
    if (port < 1 || port > 65535) throw bad(`port ${port} out of range`);
    return { host: m[1] ?? m[2]!, port };
  });
  return { endpoints, prefix };
}

export function formatEndpoint(e: EtcdEndpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}
