/**
 * Apache Kafka's Java client (org.apache.kafka:kafka-clients, pinned in test/java/pom.xml) in
 * tests, through the harness in test/java: `produce`, `consume` and `admin OP` commands that
 * print JSON lines (their contract is in the Java files' headers).
 *
 *   const java = javaClients(b.bootstrap);          // one JVM per call
 *   const java = await javaShell(b.bootstrap);      // one JVM for every call, until close()
 *   await java.admin('create-topics', { topic: 't', partitions: 3 });
 *   const p = await java.produce({ topic: 't', count: 100, key: 'k{i}', props: { acks: 'all' } });
 *   const c = await java.consume({ topic: 't', max: 100, fromBeginning: true, props: { 'group.id': 'g' } });
 *   await java.produce({ topic: 't', count: 5000, rate: 1000 }, { onLine: (l) => ... });  // acts mid-run
 *
 * Every call takes { timeoutMs, onLine }: a JVM that overruns is killed and the call fails with
 * the lines so far and the client's log (stderr, slf4j-simple at WARN). Client failures the
 * command expects (a failed delivery, a per-topic admin error) are data in its result; others
 * (bad arguments, an exception from poll()) reject with a JavaError.
 *
 * Building: the first use in a process runs Maven once (`mvn -q -B compile
 * dependency:build-classpath`) into test/java/target/h-HASH, HASH covering pom.xml and src/, and
 * later uses (and other processes) reuse it; a lock file keeps parallel test processes from
 * building the same thing twice. .ci/run builds it before `npm test` (test/java/prepare.ts), so
 * the tests themselves run `java -cp` only and need no network.
 *
 * A missing java or mvn skips the Java tests locally (javaSkip) but not under CI=true, where the
 * test runs and fails: CI must have the Java client.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { ROOT } from './broker.js';

export const JAVA_DIR = join(ROOT, 'test/java');

/** One stdout line of the harness; `type` says which (delivery, produced, record, consumed, admin, error, end, ...). */
export interface JavaLine {
  type: string;
  [field: string]: any;
}

export class JavaError extends Error {
  constructor(message: string, readonly lines: JavaLine[], readonly stderr: string) {
    super(message);
  }
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why the Java tests cannot run here (java or mvn missing), or null. */
export function javaMissing(): string | null {
  const missing = ['java', 'javac', 'mvn'].filter((c) => !onPath(c));
  return missing.length === 0 ? null : `${missing.join(' and ')} not found (the Java client tests need a JDK 17+ and Maven)`;
}

/** For `test(name, { skip: javaSkip }, ...)`: skip locally when Java is missing, never under CI. */
export const javaSkip: string | false = process.env.CI === undefined ? (javaMissing() ?? false) : false;

// --- Building

function sourceHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string): string[] => readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
  for (const file of [join(JAVA_DIR, 'pom.xml'), ...walk(join(JAVA_DIR, 'src'))]) {
    h.update(relative(JAVA_DIR, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return h.digest('hex').slice(0, 12);
}

/** The classpath written by a finished build, if it is complete (every jar still in ~/.m2). */
function readyClasspath(stamp: string): string | null {
  if (!existsSync(stamp)) return null;
  const cp = readFileSync(stamp, 'utf8').trim();
  return cp.split(delimiter).every((p) => existsSync(p)) ? cp : null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function build(): Promise<string> {
  const missing = javaMissing();
  if (missing !== null) throw new Error(`${missing}; .ci/run installs them (Debian: openjdk-17-jdk-headless, maven)`);
  const targetDir = join(JAVA_DIR, 'target');
  const buildDir = join(targetDir, `h-${sourceHash()}`);
  const stamp = join(buildDir, 'harness.classpath');
  const lock = join(targetDir, 'build.lock');
  mkdirSync(targetDir, { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    const ready = readyClasspath(stamp);
    if (ready !== null) return ready;
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Another process is building: wait for it, or take over a lock its dead owner left.
      const owner = Number(readFileSync(lock, 'utf8').trim() || '0');
      if (owner > 0 && !pidAlive(owner)) rmSync(lock, { force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (pid ${owner})`);
      await sleep(250);
      continue;
    }
    try {
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      if (readyClasspath(stamp) !== null) continue;
      await mavenBuild(buildDir, stamp);
      pruneOldBuilds(targetDir, buildDir);
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

async function mavenBuild(buildDir: string, stamp: string): Promise<void> {
  rmSync(buildDir, { recursive: true, force: true });
  const deps = join(buildDir, 'classpath.txt');
  const args = ['-q', '-B', '-Dstyle.color=never', '-f', join(JAVA_DIR, 'pom.xml'), `-Dharness.buildDir=${buildDir}`, `-Dmdep.outputFile=${deps}`,
    'compile', 'dependency:build-classpath'];
  const r = await collect('mvn', args, { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`mvn ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  const cp = [join(buildDir, 'classes'), readFileSync(deps, 'utf8').trim()].join(delimiter);
  writeFileSync(`${stamp}.tmp`, cp);
  renameSync(`${stamp}.tmp`, stamp);
}

/** Removes builds of older sources (h-* dirs not touched for an hour). */
function pruneOldBuilds(targetDir: string, keep: string): void {
  for (const name of readdirSync(targetDir)) {
    const p = join(targetDir, name);
    if (!name.startsWith('h-') || p === keep) continue;
    if (Date.now() - statSync(p).mtimeMs > 3600_000) rmSync(p, { recursive: true, force: true });
  }
}

let harness: Promise<string> | undefined;

/** The harness classpath, building it on first use in this process. */
export function javaHarness(): Promise<string> {
  harness ??= build();
  harness.catch(() => { harness = undefined; });
  return harness;
}

/** The kafka-clients version in the pom (the one the harness runs). */
export function kafkaClientsVersion(): string {
  return /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(join(JAVA_DIR, 'pom.xml'), 'utf8'))![1]!;
}

// --- Running

export interface JavaRunOptions {
  /** slf4j-simple level for the client's logs on stderr (default warn). */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
}

/** Per command. */
export interface CallOptions {
  /** Kills the JVM after this long (default 120 s; a shell is killed too). */
  timeoutMs?: number;
  /** Sees each line as it arrives (e.g. to act once half the delivery reports are in). */
  onLine?: (line: JavaLine) => void;
}

/** Start-up over peak speed (the harness is short-lived and moves little data). */
const JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss512k'];

async function javaArgs(mainArgs: string[], options: JavaRunOptions): Promise<string[]> {
  const cp = await javaHarness();
  return [...JVM_FLAGS, `-Dorg.slf4j.simpleLogger.defaultLogLevel=${options.logLevel ?? 'warn'}`, '-cp', cp, 'sherwood.harness.Main', ...mainArgs];
}

interface Collected { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }

function collect(cmd: string, args: string[], options: { timeoutMs: number; onStdout?: (chunk: string) => void }): Promise<Collected> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; options.onStdout?.(d); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, options.timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, timedOut }); });
  });
}

function parseLine(text: string): JavaLine {
  try {
    return JSON.parse(text) as JavaLine;
  } catch {
    return { type: 'unparsed', text };
  }
}

/** Splits a stream into JSON lines. */
class LineSplitter {
  private buffer = '';

  constructor(private readonly onLine: (line: JavaLine) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const text = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (text.length > 0) this.onLine(parseLine(text));
    }
  }
}

function describeFailure(what: string, lines: JavaLine[], stderr: string): string {
  const errors = lines.filter((l) => l.type === 'error').map((l) => JSON.stringify(l.error));
  const tail = lines.slice(-5).map((l) => JSON.stringify(l));
  return `${what}\nerrors: ${errors.join('\n') || '(none)'}\nlast lines:\n${tail.join('\n')}\nstderr (tail):\n${stderr.slice(-6000)}`;
}

/** Runs one harness command in its own JVM; its stdout lines, or a JavaError unless it exits 0. */
export async function runJava(args: string[], call: CallOptions = {}, options: JavaRunOptions = {}): Promise<JavaLine[]> {
  const timeoutMs = call.timeoutMs ?? 120_000;
  const lines: JavaLine[] = [];
  const splitter = new LineSplitter((line) => { lines.push(line); call.onLine?.(line); });
  const r = await collect('java', await javaArgs(args, options), { timeoutMs, onStdout: (d) => splitter.push(d) });
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${timeoutMs} ms` : `exited ${r.code ?? r.signal}`;
    throw new JavaError(describeFailure(`java ${args.slice(0, 2).join(' ')} ${why}`, lines, r.stderr), lines, r.stderr);
  }
  return lines;
}

/** Something that runs harness commands: a JVM per command, or a JavaShell. */
export interface JavaRunner {
  run(args: string[], call?: CallOptions): Promise<JavaLine[]>;
}

interface Pending { lines: JavaLine[]; what: string; onLine?: (line: JavaLine) => void; resolve: (lines: JavaLine[]) => void; reject: (err: Error) => void }

/**
 * One JVM running `Main shell`: commands go in on stdin (a JSON array per line) and run one
 * at a time (run() queues); run() resolves with the command's lines once its {"type":"end"}
 * arrives. Commands that must run at the same time need a shell each.
 */
export class JavaShell implements JavaRunner {
  private stderrText = '';
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private exited: Promise<void>;
  private exitInfo: string | undefined;

  private constructor(private readonly child: import('node:child_process').ChildProcessWithoutNullStreams) {
    const splitter = new LineSplitter((line) => this.onLine(line));
    child.stdout.setEncoding('utf8').on('data', (d: string) => splitter.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => { this.stderrText += d; });
    // A write to a JVM that just died fails with EPIPE; its exit is reported through 'close'.
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => {
      this.exitInfo ??= `exited ${code ?? signal}`;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new JavaError(describeFailure(`java shell ${this.exitInfo} during ${p.what}`, p.lines, this.stderrText), p.lines, this.stderrText));
      resolve();
    }));
  }

  static async start(options: JavaRunOptions = {}): Promise<JavaShell> {
    const child = spawn('java', await javaArgs(['shell'], options), { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return new JavaShell(child);
  }

  get stderr(): string {
    return this.stderrText;
  }

  private onLine(line: JavaLine): void {
    const p = this.pending;
    if (p === undefined) return;
    if (line.type !== 'end') {
      p.lines.push(line);
      p.onLine?.(line);
      return;
    }
    this.pending = undefined;
    if (line.ok === true) p.resolve(p.lines);
    else p.reject(new JavaError(describeFailure(`java ${p.what} failed`, p.lines, this.stderrText), p.lines, this.stderrText));
  }

  /** Runs one command; a JavaError if it reports an error, or on timeout (which kills the shell). */
  run(args: string[], call: CallOptions = {}): Promise<JavaLine[]> {
    const next = this.queue.then(() => this.runNow(args, call));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private runNow(args: string[], call: CallOptions): Promise<JavaLine[]> {
    const what = args.slice(0, 2).join(' ');
    const timeoutMs = call.timeoutMs ?? 120_000;
    if (this.exitInfo !== undefined) return Promise.reject(new Error(`java shell already ${this.exitInfo}; cannot run ${what}`));
    return new Promise<JavaLine[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        const lines = this.pending?.lines ?? [];
        this.pending = undefined;
        this.exitInfo = `killed after ${what} timed out`;
        this.child.kill('SIGKILL');
        reject(new JavaError(describeFailure(`java ${what} timed out after ${timeoutMs} ms (shell killed)`, lines, this.stderrText), lines, this.stderrText));
      }, timeoutMs);
      this.pending = {
        lines: [],
        what,
        onLine: call.onLine,
        resolve: (lines) => { clearTimeout(timer); resolve(lines); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
      this.child.stdin.write(JSON.stringify(args) + '\n');
    });
  }

  /** Ends input and waits for the JVM to exit (after the commands already queued). */
  async close(): Promise<void> {
    await this.queue;
    this.child.stdin.end();
    await this.exited;
  }

  /** SIGKILL: a client that dies without closing (its open transactions, group membership, ...). */
  async kill(): Promise<void> {
    this.exitInfo ??= 'killed';
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

const oneShot = (options: JavaRunOptions): JavaRunner => ({ run: (args, call) => runJava(args, call, options) });

// --- Typed commands

export type Props = Record<string, string | number | boolean>;

export interface ProduceOptions {
  topic: string;
  count?: number;
  /** First index i (default 0). */
  start?: number;
  /** Key pattern, "{i}" = the record's index; omitted = null key. */
  key?: string;
  /** Value pattern (default "value-{i}"). */
  value?: string;
  nullValue?: boolean;
  /** Pads each value with '.' to this many bytes. */
  valueSize?: number;
  /** Record headers: name → value pattern. */
  header?: Record<string, string>;
  partition?: number;
  /** At most this many send() calls per second. */
  rate?: number;
  reports?: 'all' | 'errors' | 'none';
  /**
   * Transactional mode (props must carry transactional.id): one transaction per entry, each of
   * `count` records (indices continue), ended with commitTransaction() or abortTransaction().
   */
  transaction?: ('commit' | 'abort')[];
  /** sendOffsetsToTransaction in every transaction: "TOPIC:PARTITION:OFFSET" for the group offsetsGroup. */
  offsets?: string[];
  offsetsGroup?: string;
  /** Producer configuration, passed to KafkaProducer as is (bootstrap.servers is added). */
  props?: Props;
}

export interface DeliveryReport {
  i: number;
  partition: number | null;
  offset?: number;
  timestamp?: number;
  error?: JavaException;
}

export interface JavaException {
  class: string;
  message: string | null;
  cause?: JavaException;
}

export interface Produced {
  reports: DeliveryReport[];
  /** Transactional mode: each transaction's end, in order (error: that step threw, and it stopped). */
  transactions: { n: number; outcome: 'commit' | 'abort'; error?: JavaException }[];
  summary: { topic: string; count: number; sent: number; acked: number; failed: number; errors: JavaException[]; ms: number };
}

export interface ConsumeOptions {
  /** Subscribe to these topics (needs props['group.id']). */
  topic?: string | string[];
  /** Assign these: "T" (every partition) or "T:P". */
  assign?: string | string[];
  fromBeginning?: boolean;
  max?: number;
  idleMs?: number;
  /** Gives up (not an error: summary.timedOut) after this long; default 60 s. */
  timeoutMs?: number;
  commit?: 'none' | 'sync';
  print?: 'records' | 'none';
  encoding?: 'utf8' | 'base64';
  pollMs?: number;
  /** Consumer configuration (group.id, isolation.level, ...); bootstrap.servers is added. */
  props?: Props;
}

export interface JavaRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: string;
  leaderEpoch: number | null;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
}

export interface Consumed {
  records: JavaRecord[];
  /** Rebalance events in order: assigned/revoked partitions ("T-P"). */
  rebalances: { type: 'assigned' | 'revoked'; partitions: string[] }[];
  summary: {
    count: number;
    partitions: Record<string, { count: number; first: number; last: number }>;
    positions: Record<string, number | { error: JavaException }>;
    committed?: Record<string, number | null>;
    group?: { groupId: string; generationId: number; memberId: string };
    timedOut: boolean;
    ms: number;
  };
}

/** Admin operations and their options (see test/java/.../AdminCommand.java for each result). */
export interface AdminOptions {
  topic?: string | string[];
  group?: string | string[];
  /** create-topics: the count; elect-leaders: which partitions of `topic`. */
  partitions?: number | number[];
  replicationFactor?: number;
  /** elect-leaders */
  type?: 'preferred' | 'unclean';
  /** create-topics: topic configs. */
  config?: Record<string, string>;
  internal?: boolean;
  count?: number;
  broker?: number;
  /** alter-configs: configs to set / delete. */
  set?: Record<string, string>;
  delete?: string[];
  spec?: 'earliest' | 'latest' | 'max-timestamp' | number;
  isolation?: 'read_uncommitted' | 'read_committed';
  /** delete-records: partition → offset. */
  before?: Record<number, number>;
  timeoutMs?: number;
  props?: Props;
}

export type AdminOp = 'create-topics' | 'delete-topics' | 'list-topics' | 'describe-topics' | 'describe-cluster' | 'create-partitions'
  | 'describe-configs' | 'alter-configs' | 'list-offsets' | 'delete-records' | 'list-groups' | 'describe-groups' | 'list-group-offsets' | 'delete-groups'
  | 'elect-leaders' | 'describe-log-dirs';

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Options → `--kebab-name=value` (true → bare flag, arrays repeat, records become K=V), props → `k=v`. */
function toArgs(options: object, bootstrap: string): string[] {
  const out: string[] = [];
  let props: Props = {};
  for (const [name, v] of Object.entries(options)) {
    if (v === undefined || v === false) continue;
    if (name === 'props') {
      props = v as Props;
      continue;
    }
    const flag = `--${kebab(name)}`;
    if (v === true) out.push(flag);
    else if (Array.isArray(v)) out.push(...v.map((x) => `${flag}=${x}`));
    else if (typeof v === 'object') out.push(...Object.entries(v as Record<string, unknown>).map(([k, x]) => `${flag}=${k}${name === 'before' ? ':' : '='}${x}`));
    else out.push(`${flag}=${v}`);
  }
  out.push(`bootstrap.servers=${bootstrap}`);
  for (const [k, v] of Object.entries(props)) out.push(`${k}=${v}`);
  return out;
}

function only(lines: JavaLine[], type: string): JavaLine {
  const found = lines.filter((l) => l.type === type);
  if (found.length !== 1) throw new Error(`expected one "${type}" line, got ${found.length}: ${JSON.stringify(lines.slice(-3))}`);
  return found[0]!;
}

/** The harness commands bound to one bootstrap address and one runner. */
export class JavaClients {
  constructor(readonly bootstrap: string, readonly runner: JavaRunner) {}

  async produce(o: ProduceOptions, call?: CallOptions): Promise<Produced> {
    const lines = await this.runner.run(['produce', ...toArgs(o, this.bootstrap)], call);
    const { type: _, ...summary } = only(lines, 'produced');
    return {
      reports: lines.filter((l) => l.type === 'delivery') as unknown as DeliveryReport[],
      transactions: lines.filter((l) => l.type === 'transaction').map(({ type: _t, ...t }) => t) as Produced['transactions'],
      summary: summary as Produced['summary'],
    };
  }

  async consume(o: ConsumeOptions, call: CallOptions = {}): Promise<Consumed> {
    const lines = await this.runner.run(['consume', ...toArgs(o, this.bootstrap)], { ...call, timeoutMs: call.timeoutMs ?? (o.timeoutMs ?? 60_000) + 60_000 });
    const { type: _, ...summary } = only(lines, 'consumed');
    return {
      records: lines.filter((l) => l.type === 'record') as unknown as JavaRecord[],
      rebalances: lines.filter((l) => l.type === 'assigned' || l.type === 'revoked') as unknown as Consumed['rebalances'],
      summary: summary as Consumed['summary'],
    };
  }

  /** One AdminClient operation; its result (per-item failures are {error} entries in it). */
  async admin<T = any>(op: AdminOp, o: AdminOptions = {}, call?: CallOptions): Promise<T> {
    return only(await this.runner.run(['admin', op, ...toArgs(o, this.bootstrap)], call), 'admin').result as T;
  }

  /** The version range of every broker API the client implements (newest stable as `latest`). */
  async apiKeys(): Promise<{ name: string; apiKey: number; oldest: number; latest: number }[]> {
    return only(await this.runner.run(['api-keys']), 'api-keys').apis;
  }

  /** kafka-clients and JVM versions. */
  async version(): Promise<{ kafkaClients: string; commitId: string; java: string }> {
    return only(await this.runner.run(['version']), 'version') as never;
  }
}

/** Harness commands against `bootstrap`, one JVM each. */
export function javaClients(bootstrap: string, options: JavaRunOptions = {}): JavaClients {
  return new JavaClients(bootstrap, oneShot(options));
}

/** Harness commands against `bootstrap` in one long-lived JVM; close() (or kill()) it when done. */
export async function javaShell(bootstrap: string, options: JavaRunOptions = {}): Promise<JavaClients & { shell: JavaShell; close(): Promise<void> }> {
  const shell = await JavaShell.start(options);
  return Object.assign(new JavaClients(bootstrap, shell), { shell, close: () => shell.close() });
}
