/**
 * Invariants. A broken invariant is a bug in Sherwood, not a client's mistake and not a disk
 * failure: it throws an AssertionError, which is never mapped to a Kafka error code (not even
 * KAFKA_STORAGE_ERROR) — a handler that hits one closes its connection and the error is logged
 * with its stack. Use `assert` where a wrong value means our own bookkeeping is corrupt (a
 * leader epoch going backwards, a reference count below zero, a group state transition outside
 * Kafka's graph); use Kafka error codes for bad input and BrokerError for operating failures.
 *
 * Assertions stay on in production: they guard state that would otherwise be silently wrong.
 * Keep the condition cheap; build the message lazily when it is expensive.
 */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionError(typeof message === 'function' ? message() : message);
}

/** For a value that the type system says cannot exist (exhaustive switches). */
export function unreachable(value: never, what: string): never {
  throw new AssertionError(`unreachable: unexpected ${what} ${String(value)}`);
}
