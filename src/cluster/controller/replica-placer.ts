/**
 * Replica placement for new partitions, after KRaft's StripedReplicaPlacer. Pure: the brokers
 * and the randomness are passed in.
 *
 * Goals, in priority order: spread each partition's replicas over as many racks as possible;
 * spread replicas (and leaders) evenly over brokers; prefer unfenced brokers. Constraints: no
 * broker twice in one partition, and the first replica (the preferred leader) is unfenced.
 *
 * Algorithm: brokers are grouped by rack (a null rack is a rack of its own, sorted first);
 * each rack keeps its unfenced and fenced brokers as sorted lists with a random start offset.
 * A partition takes its first replica from the next rack (round robin from a random start)
 * that still has an unfenced broker this round, then one replica from each following rack in
 * turn, each rack handing out its brokers round robin. Every partition starts one rack later
 * than the previous one, which gives the "striped" pattern:
 *   racks A, B, C with brokers A0..A2, B0..B2, C0..C2, all offsets 0:
 *   p0: A0 B0 C0   p1: B1 C1 A1   p2: C2 A2 B2
 * After as many partitions as there are unfenced brokers, racks and brokers are reshuffled so
 * that the same replica sets do not repeat.
 */
import type { Random } from '../../base/random.js';

export interface UsableBroker {
  readonly id: number;
  readonly rack: string | null;
  readonly fenced: boolean;
}

export interface PlacementSpec {
  readonly numPartitions: number;
  readonly numReplicas: number;
}

export type PlacementResult = { replicas: number[][] } | { error: string };

function shuffle<T>(arr: T[], random: Random): void {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [arr[i], arr[j]] = [arr[j]!, arr[i]!];
  }
}

/** Brokers handed out round robin; `epoch` restarts the round (one round per partition). */
class BrokerList {
  readonly brokers: number[] = [];
  private index = 0;
  private offset = 0;
  private epoch = 0;

  initialize(random: Random): void {
    if (this.brokers.length === 0) return;
    this.brokers.sort((a, b) => a - b);
    this.offset = random.int(this.brokers.length);
  }

  /** The next broker of this round, or -1 when the round has used them all. */
  next(epoch: number): number {
    const n = this.brokers.length;
    if (n === 0) return -1;
    if (this.epoch !== epoch) {
      this.epoch = epoch;
      this.index = 0;
      this.offset = (this.offset + 1) % n;
    }
    if (this.index >= n) return -1;
    return this.brokers[(this.index++ + this.offset) % n]!;
  }
}

class Rack {
  readonly unfenced = new BrokerList();
  readonly fenced = new BrokerList();

  next(epoch: number): number {
    const b = this.unfenced.next(epoch);
    return b >= 0 ? b : this.fenced.next(epoch);
  }
}

const rackOrder = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);

class RackList {
  private readonly racks = new Map<string | null, Rack>();
  private readonly names: (string | null)[] = [];
  readonly total: number;
  readonly unfenced: number;
  private epoch = 0;
  private offset: number;

  constructor(private readonly random: Random, brokers: Iterable<UsableBroker>) {
    let total = 0;
    let unfenced = 0;
    for (const b of brokers) {
      let rack = this.racks.get(b.rack);
      if (rack === undefined) {
        rack = new Rack();
        this.racks.set(b.rack, rack);
        this.names.push(b.rack);
      }
      (b.fenced ? rack.fenced : rack.unfenced).brokers.push(b.id);
      total++;
      if (!b.fenced) unfenced++;
    }
    for (const rack of this.racks.values()) {
      rack.fenced.initialize(random);
      rack.unfenced.initialize(random);
    }
    this.names.sort(rackOrder);
    this.total = total;
    this.unfenced = unfenced;
    this.offset = this.names.length === 0 ? 0 : random.int(this.names.length);
  }

  place(replicationFactor: number): number[] {
    // After one replica set per unfenced broker, reshuffle so the sets do not repeat (but never
    // for a single unfenced broker: every set starts with it anyway).
    if (this.epoch === this.unfenced && this.unfenced > 1) {
      shuffle(this.names, this.random);
      for (const rack of this.racks.values()) {
        shuffle(rack.fenced.brokers, this.random);
        shuffle(rack.unfenced.brokers, this.random);
      }
      this.epoch = 0;
    }
    if (this.offset === this.names.length) this.offset = 0;
    const out: number[] = [];
    // The leader: the first rack from `offset` on with an unfenced broker left this round.
    let firstRack = this.offset;
    for (;;) {
      const b = this.racks.get(this.names[firstRack]!)!.unfenced.next(this.epoch);
      if (b >= 0) {
        out.push(b);
        break;
      }
      firstRack = (firstRack + 1) % this.names.length;
    }
    // The others: one from each rack in turn, skipping the leader's rack once.
    let rackIndex = this.offset;
    let skip: number | null = firstRack;
    while (out.length < replicationFactor) {
      let b = -1;
      if (rackIndex === skip) skip = null;
      else b = this.racks.get(this.names[rackIndex]!)!.next(this.epoch);
      rackIndex = (rackIndex + 1) % this.names.length;
      if (b >= 0) out.push(b);
    }
    this.epoch++;
    this.offset++;
    return out;
  }
}

/** KRaft's StripedReplicaPlacer.place: one replica list per new partition, or Kafka's reason why not. */
export function placeReplicas(spec: PlacementSpec, brokers: Iterable<UsableBroker>, random: Random): PlacementResult {
  const rf = spec.numReplicas;
  if (rf <= 0) return { error: `Invalid replication factor ${rf}: the replication factor must be positive.` };
  const racks = new RackList(random, brokers);
  if (rf > racks.total) {
    return { error: `The target replication factor of ${rf} cannot be reached because only ${racks.total} broker(s) are registered.` };
  }
  if (racks.unfenced === 0) return { error: 'All brokers are currently fenced.' };
  const replicas: number[][] = [];
  for (let p = 0; p < spec.numPartitions; p++) replicas.push(racks.place(rf));
  return { replicas };
}
