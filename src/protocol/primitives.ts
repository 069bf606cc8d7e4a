/**
 * Kafka's primitive types, bytes in and bytes out, with no I/O.
 *
 * Decoding is straight-line: the Reader records the first error and every later read returns
 * a zero value, so callers decode a whole message and check `reader.error` once at the end.
 * int64 values are JS numbers; a value beyond 2^53 keeps its magnitude (not its last digits),
 * and the Writer clamps to the int64 range, so sentinels such as Long.MAX_VALUE stay "huge".
 */

const TWO_32 = 4294967296;
const INT64_MAX_AS_NUMBER = 9223372036854775807;

export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  error: string | null = null;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): void {
    if (this.error === null) this.error = `${message} at byte ${this.pos}`;
    this.pos = this.end;
  }

  private need(n: number): boolean {
    if (this.error !== null) return false;
    if (this.pos + n > this.end) {
      this.fail(`need ${n} bytes, ${this.end - this.pos} left`);
      return false;
    }
    return true;
  }

  int8(): number {
    if (!this.need(1)) return 0;
    return this.buf.readInt8(this.pos++);
  }

  uint8(): number {
    if (!this.need(1)) return 0;
    return this.buf[this.pos++]!;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    if (!this.need(2)) return 0;
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    if (!this.need(2)) return 0;
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    if (!this.need(4)) return 0;
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    if (!this.need(4)) return 0;
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): number {
    if (!this.need(8)) return 0;
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi * TWO_32 + lo;
  }

  float64(): number {
    if (!this.need(8)) return 0;
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  uuid(): Buffer {
    if (!this.need(16)) return ZERO_UUID;
    const v = this.buf.subarray(this.pos, this.pos + 16);
    this.pos += 16;
    return v;
  }

  unsignedVarint(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (!this.need(1)) return 0;
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
    }
    this.fail('unsigned varint longer than 5 bytes');
    return 0;
  }

  /** Zig-zag encoded signed 32-bit varint. */
  varint(): number {
    const u = this.unsignedVarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /**
   * Zig-zag encoded signed 64-bit varint, as a JS number. Up to 7 bytes (49 bits) the sum is
   * exact in a double; longer encodings finish in BigInt so the sign bit is never lost.
   */
  varlong(): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (!this.need(1)) return 0;
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      mul *= 128;
    }
    let big = BigInt(value);
    for (let i = 7; i < 10; i++) {
      if (!this.need(1)) return 0;
      const b = this.buf[this.pos++]!;
      big |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) {
        big = BigInt.asUintN(64, big);
        return Number((big >> 1n) ^ -(big & 1n));
      }
    }
    this.fail('varlong longer than 10 bytes');
    return 0;
  }

  private take(len: number): Buffer {
    if (!this.need(len)) return EMPTY;
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }

  string(): string {
    const len = this.int16();
    if (len < 0) {
      this.fail('null string where non-null expected');
      return '';
    }
    return this.take(len).toString('utf8');
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    return this.take(len).toString('utf8');
  }

  compactString(): string {
    const len = this.unsignedVarint() - 1;
    if (len < 0) {
      this.fail('null compact string where non-null expected');
      return '';
    }
    return this.take(len).toString('utf8');
  }

  compactNullableString(): string | null {
    const len = this.unsignedVarint() - 1;
    if (len < 0) return null;
    return this.take(len).toString('utf8');
  }

  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) {
      this.fail('null bytes where non-null expected');
      return EMPTY;
    }
    return this.take(len);
  }

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    return this.take(len);
  }

  compactBytes(): Buffer {
    const len = this.unsignedVarint() - 1;
    if (len < 0) {
      this.fail('null compact bytes where non-null expected');
      return EMPTY;
    }
    return this.take(len);
  }

  compactNullableBytes(): Buffer | null {
    const len = this.unsignedVarint() - 1;
    if (len < 0) return null;
    return this.take(len);
  }

  /** Raw bytes without a length prefix. */
  raw(len: number): Buffer {
    return this.take(len);
  }

  /** Array length; -1 means null. Guards against lengths that cannot fit in what is left. */
  arrayLength(compact: boolean): number {
    const n = compact ? this.unsignedVarint() - 1 : this.int32();
    if (n > this.remaining) {
      this.fail(`array length ${n} exceeds remaining bytes`);
      return 0;
    }
    return n;
  }
}

const EMPTY = Buffer.alloc(0);
export const ZERO_UUID: Buffer = Buffer.alloc(16);

export class Writer {
  buf: Buffer;
  pos = 0;
  /**
   * Chunked mode (see `refBytes`): the pieces already finished, in order: spans of earlier
   * buffers and referenced (not copied) Buffers. Null in the ordinary, single-buffer mode.
   */
  private chunks: Buffer[] | null = null;
  /** Total length of `chunks`. */
  private chunkedBytes = 0;
  /** Buffers at least this long are referenced by `refBytes` instead of copied. */
  private readonly refThreshold: number;

  /**
   * `refThreshold`: when finite, `refBytes` keeps Buffers of at least that many bytes by
   * reference and the result is read with `toChunks()` (or `toBuffer()`, which joins).
   */
  constructor(initialSize = 256, refThreshold = Infinity) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.refThreshold = refThreshold;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Bytes written so far (all chunks included). */
  get length(): number {
    return this.chunkedBytes + this.pos;
  }

  /**
   * Writes `b` without a length prefix: copied when short or when the writer is not in
   * chunked mode, else kept by reference (the caller must not modify it until it is sent).
   * After a reference, `buf`/`pos` start afresh: positions from `reserve` made before it
   * refer to the first chunk and must be patched through `toChunks()[0]`.
   */
  refBytes(b: Buffer): this {
    if (b.length < this.refThreshold) return this.raw(b);
    const chunks = (this.chunks ??= []);
    if (this.pos > 0) {
      chunks.push(this.buf.subarray(0, this.pos));
      this.chunkedBytes += this.pos;
    }
    chunks.push(b);
    this.chunkedBytes += b.length;
    // Keep writing into the unused rest of the buffer when there is a useful amount of it.
    this.buf = this.buf.length - this.pos >= 64 ? this.buf.subarray(this.pos) : Buffer.allocUnsafe(256);
    this.pos = 0;
    return this;
  }

  /** The encoded bytes as a list of Buffers (one, unless `refBytes` referenced some). */
  toChunks(): Buffer[] {
    if (this.chunks === null) return [this.buf.subarray(0, this.pos)];
    return this.pos > 0 ? [...this.chunks, this.buf.subarray(0, this.pos)] : [...this.chunks];
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: number): this {
    this.ensure(8);
    if (Number.isSafeInteger(v)) {
      const hi = Math.floor(v / TWO_32);
      const lo = v - hi * TWO_32;
      this.buf.writeInt32BE(hi, this.pos);
      this.buf.writeUInt32BE(lo, this.pos + 4);
    } else {
      this.buf.writeBigInt64BE(toInt64(v), this.pos);
    }
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  uuid(v: Buffer | null): this {
    this.ensure(16);
    (v ?? ZERO_UUID).copy(this.buf, this.pos, 0, 16);
    this.pos += 16;
    return this;
  }

  unsignedVarint(v: number): this {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  varint(v: number): this {
    return this.unsignedVarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: number): this {
    this.ensure(10);
    if (v > -(2 ** 52) && v < 2 ** 52 && Number.isInteger(v)) {
      // Fast path: the zig-zag value stays below 2^53, exact in a double.
      let u = v >= 0 ? v * 2 : -v * 2 - 1;
      while (u >= 0x80) {
        this.buf[this.pos++] = (u % 128) | 0x80;
        u = Math.floor(u / 128);
      }
      this.buf[this.pos++] = u;
      return this;
    }
    const s = toInt64(v);
    let u = BigInt.asUintN(64, (s << 1n) ^ (s >> 63n));
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  raw(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  string(v: string): this {
    const len = Buffer.byteLength(v);
    this.int16(len);
    this.ensure(len);
    this.buf.write(v, this.pos, 'utf8');
    this.pos += len;
    return this;
  }

  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    return this.string(v);
  }

  compactString(v: string): this {
    const len = Buffer.byteLength(v);
    this.unsignedVarint(len + 1);
    this.ensure(len);
    this.buf.write(v, this.pos, 'utf8');
    this.pos += len;
    return this;
  }

  compactNullableString(v: string | null): this {
    if (v === null) return this.unsignedVarint(0);
    return this.compactString(v);
  }

  bytes(v: Buffer): this {
    this.int32(v.length);
    return this.raw(v);
  }

  nullableBytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    return this.bytes(v);
  }

  compactBytes(v: Buffer): this {
    this.unsignedVarint(v.length + 1);
    return this.raw(v);
  }

  compactNullableBytes(v: Buffer | null): this {
    if (v === null) return this.unsignedVarint(0);
    return this.compactBytes(v);
  }

  /** Reserves n bytes and returns their position, to be patched later (e.g. a size prefix). */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  toBuffer(): Buffer {
    if (this.chunks !== null) return Buffer.concat(this.toChunks(), this.length);
    return this.buf.subarray(0, this.pos);
  }
}

/**
 * A number as int64, clamped to the int64 range (so Long.MAX_VALUE / MIN_VALUE sentinels stay
 * extreme); NaN, which no caller means, is written as 0 rather than throwing mid-encode.
 */
function toInt64(v: number): bigint {
  if (v >= INT64_MAX_AS_NUMBER) return 9223372036854775807n;
  if (v <= -INT64_MAX_AS_NUMBER) return -9223372036854775808n;
  if (Number.isNaN(v)) return 0n;
  return BigInt(Math.trunc(v));
}

/** Bytes an unsigned varint takes. */
export function unsignedVarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
