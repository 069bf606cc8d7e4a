/**
 * The leadership timeline of the workload's topic, from the cluster's own metadata log in etcd:
 * every time a partition's leader epoch changes, one history event
 * `{process: 'etcd', type: 'info', f: 'meta', value: {topic, partition, leader, leaderEpoch}}`
 * timed when the harness saw the change (at or after etcd committed it). The checker uses it to
 * tell a deposed leader's answers from the partition's (beyond-hwm). Read-only: it watches the
 * metadata log from revision 0 (etcd's watch resumes across member failures).
 */
import { systemClock } from '../../src/base/clock.js';
import { EtcdClient } from '../../src/cluster/etcd/etcd-client.js';
import { parseEtcdConnect } from '../../src/cluster/etcd/etcd-connect.js';
import { httpEtcdTransport } from '../../src/cluster/etcd/etcd-transport.js';
import { MetadataDelta } from '../../src/cluster/metadata/metadata-delta.js';
import { EMPTY_METADATA_IMAGE, type MetadataImage } from '../../src/cluster/metadata/metadata-image.js';
import { decodeRecord } from '../../src/cluster/metadata/metadata-records.js';
import type { HistoryEvent } from '../checker/history.js';

export function recordLeadership(etcdConnect: string, topic: string, sink: (e: HistoryEvent) => void): { close(): void } {
  const { endpoints, prefix } = parseEtcdConnect(etcdConnect);
  const client = new EtcdClient({ endpoints, transport: httpEtcdTransport(), clock: systemClock });
  let image: MetadataImage = EMPTY_METADATA_IMAGE;
  const epochs = new Map<number, number>();
  const w = client.watch({
    key: `${prefix}/metadata/log/`, prefix: true, startRevision: 1,
    onEvents: (events) => {
      for (const e of events) {
        if (e.type !== 'PUT') continue;
        let batch: { records?: unknown[] };
        try {
          batch = JSON.parse(e.kv.value.toString('utf8')) as { records?: unknown[] };
          image = new MetadataDelta(image).replayAll((batch.records ?? []).map(decodeRecord)).apply().image;
        } catch {
          continue; // not a batch this recorder understands; the brokers are the judges of that
        }
        const t = image.topic(topic);
        if (t === undefined) continue;
        t.partitions.forEach((p, partition) => {
          if (epochs.get(partition) === p.leaderEpoch) return;
          epochs.set(partition, p.leaderEpoch);
          sink({ time: performance.timeOrigin + performance.now(), process: 'etcd', type: 'info', f: 'meta', value: { topic, partition, leader: p.leader, leaderEpoch: p.leaderEpoch } });
        });
      }
    },
    onError: () => undefined,
  });
  return { close: () => { w.close(); client.close(); } };
}
