/**
 * Latency histogram for `sherwood perf`: log-linear buckets over microseconds (exact below
 * 1024 µs, then 512 buckets per power of two, so about 0.2% relative precision), in the
 * spirit of HdrHistogram. Values are clamped to 0..2^31-1 µs (~35 minutes).
 */
const SUB_BITS = 9;
const SUB_COUNT = 1 << SUB_BITS;
const LINEAR_LIMIT = SUB_COUNT * 2;
const MAX_MICROS = 2 ** 31 - 1;

export class LatencyHistogram {
  private readonly counts = new Float64Array(LINEAR_LIMIT + 22 * SUB_COUNT + SUB_COUNT);
  count = 0;
  sumMicros = 0;
  maxMicros = 0;

  record(micros: number, n = 1): void {
    const v = Math.min(MAX_MICROS, Math.max(0, Math.round(micros)));
    this.counts[bucketOf(v)]! += n;
    this.count += n;
    this.sumMicros += v * n;
    if (v > this.maxMicros) this.maxMicros = v;
  }

  /** The value (µs) at or below which `p` percent of recorded values lie. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketHigh(i), this.maxMicros);
    }
    return this.maxMicros;
  }

  meanMicros(): number {
    return this.count === 0 ? 0 : this.sumMicros / this.count;
  }
}

function bucketOf(v: number): number {
  if (v < LINEAR_LIMIT) return v;
  const shift = 31 - Math.clz32(v) - SUB_BITS; // v >> shift lies in [SUB_COUNT, 2*SUB_COUNT)
  return LINEAR_LIMIT + (shift - 1) * SUB_COUNT + ((v >> shift) - SUB_COUNT);
}

function bucketHigh(i: number): number {
  if (i < LINEAR_LIMIT) return i;
  const shift = Math.floor((i - LINEAR_LIMIT) / SUB_COUNT) + 1;
  const sub = (i - LINEAR_LIMIT) % SUB_COUNT + SUB_COUNT;
  return ((sub + 1) << shift) - 1;
}
