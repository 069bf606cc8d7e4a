/**
 * Waiting in tests: on the event itself, never on a guess of how long it takes.
 *
 * - `until(what, cond)`: a bounded poll of the exact condition (cheap, in-process, or an async
 *   probe such as a DescribeGroups request); fails with `timed out waiting for <what>` and the
 *   optional detail, so a test that waits in vain says what it was waiting for.
 * - `settled(what, read, quietMs)`: waits until a figure stops moving for quietMs — for "the
 *   broker has read / written / handled all it will", where no single event says so.
 * - `withTimeout(what, promise, ms)`: a promise (an event: 'close', a response) with a deadline.
 * - `sleep(ms)`: only where a fixed time is the point — asserting that something does NOT happen
 *   within a time (a long poll stays parked, a connection stays open), or pacing a load. Say
 *   which in a comment at the call.
 */

export interface UntilOptions {
  /** Default 20 s: long enough for a loaded CI machine, short enough to fail before the test's own timeout. */
  timeoutMs?: number;
  /** Poll interval; 0 polls on every event-loop turn (setImmediate). Default 10 ms. */
  intervalMs?: number;
  /** Appended to the timeout error: the state that did not reach the condition. */
  detail?: () => string;
}

/** Resolves once cond() is true; rejects with `timed out waiting for <what>` after timeoutMs. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, options: UntilOptions | number = {}): Promise<void> {
  const { timeoutMs = 20_000, intervalMs = 10, detail } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail === undefined ? '' : `: ${detail()}`}`);
    await (intervalMs === 0 ? new Promise((r) => setImmediate(r)) : sleep(intervalMs));
  }
}

/**
 * Polls an async probe (a DescribeTransactions request, say) until ok(value); resolves with that
 * value, or rejects with `timed out waiting for <what>` and the last value seen.
 */
export async function untilValue<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, options: UntilOptions | number = {}): Promise<T> {
  let last: T | undefined;
  const { timeoutMs = 20_000, intervalMs = 25 } = typeof options === 'number' ? { timeoutMs: options } : options;
  await until(what, async () => ok(last = await probe()), { timeoutMs, intervalMs, detail: () => `still ${JSON.stringify(last)}` });
  return last as T;
}

/** Resolves once read() has not changed for quietMs; rejects after timeoutMs if it never settles. */
export async function settled(what: string, read: () => number, quietMs = 300, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = read();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error(`${what} never settled within ${timeoutMs} ms (last ${last})`);
    await sleep(Math.min(20, quietMs));
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
  return last;
}

/** The promise's value, or a rejection naming `what` after ms. */
export async function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    })]);
  } finally {
    clearTimeout(timer);
  }
}

/** A fixed wait. Only to show that something does not happen within ms, or to pace a load (see above). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
