/** Randomness is injected so simulations are reproducible from a seed. */
import { randomBytes, randomInt } from 'node:crypto';

export interface Random {
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  bytes(size: number): Buffer;
}

export const systemRandom: Random = {
  int: (maxExclusive) => randomInt(maxExclusive),
  bytes: (size) => randomBytes(size),
};

/** A small deterministic generator (mulberry32) for tests and the simulator. */
export class SeededRandom implements Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  bytes(size: number): Buffer {
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i++) out[i] = this.int(256);
    return out;
  }
}

/** A random 16-byte UUID (version 4 layout), as Kafka uses for topic ids and cluster ids. */
export function randomUuid(random: Random): Buffer {
  const b = random.bytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b;
}
