/**
 * `sherwood configs`: kafka-configs.sh over the wire (DescribeConfigs v1-4 with synonyms,
 * IncrementalAlterConfigs v0-1).
 *
 *   --bootstrap-server host:port (required), --command-config FILE
 *   exactly one of --describe [--all] or --alter (--add-config k=v[,k=[a,b]] | --add-config-file F,
 *     --delete-config k[,k])
 *   the entity: --entity-type topics|brokers with --entity-name NAME or --entity-default
 *     (brokers only), or the shortcuts --topic NAME, --broker ID, --broker-defaults.
 *
 * Output is kafka-configs.sh's: "Dynamic configs for topic t are:" (or "All configs for ..."
 * with --all, "Default configs for brokers in the cluster are:" for the cluster default) and
 * one line per config, "  name=value sensitive=false synonyms={SOURCE:name=value, ...}",
 * sorted by name; "Completed updating config for topic t." after --alter. A --delete-config
 * key that has no dynamic value is refused ("Invalid config(s): k") before anything changes.
 *
 * users, clients and ips (SCRAM credentials and quotas), groups, client-metrics and
 * broker-loggers are refused with one line naming what is missing: Sherwood does not have
 * those features yet, and accepting the command would pretend otherwise.
 */
import {
  DescribeConfigs, ErrorCode, IncrementalAlterConfigs, errorName, type DescribeConfigsResponseDescribeConfigsResult, type KafkaClient,
} from '../client/index.js';
import { CommandError, UsageError, exactlyOneAction, parseOptions, runCommand, stderr, stdout, singleValue, withClient, type Output } from './_args.js';
import { adminClientOptions, loadPropertiesFile } from './_properties.js';

const ACTIONS = ['describe', 'alter'] as const;
type Action = (typeof ACTIONS)[number];
type EntityType = 'topics' | 'brokers';

/** Kafka's entity types (ConfigCommand BROKER_SUPPORTED_CONFIG_TYPES), for the "invalid type" message. */
const KAFKA_ENTITY_TYPES = ['broker-loggers', 'topics', 'clients', 'users', 'brokers', 'ips', 'client-metrics', 'groups'];

/** Entity types Kafka has and Sherwood refuses, with the reason. */
const REFUSED_TYPES: Record<string, string> = {
  users: 'SCRAM credentials and user quotas are not implemented yet',
  clients: 'client quotas are not implemented yet',
  ips: 'connection quotas are not implemented yet',
  groups: 'group configs (KIP-848) are not implemented yet',
  'client-metrics': 'client metrics (KIP-714) are not implemented yet',
  'broker-loggers': 'broker logger levels cannot be changed at runtime yet',
};

/** Shortcut flags: --topic t is --entity-type topics --entity-name t, and so on. */
const ENTITY_FLAGS: Record<string, string> = {
  topic: 'topics', broker: 'brokers', client: 'clients', user: 'users', ip: 'ips', group: 'groups',
  'client-metrics': 'client-metrics', 'broker-logger': 'broker-loggers',
};
const DEFAULT_FLAGS: Record<string, string> = {
  'broker-defaults': 'brokers', 'client-defaults': 'clients', 'user-defaults': 'users', 'ip-defaults': 'ips',
};

const WITH_VALUE = new Set(['bootstrap-server', 'command-config', 'entity-type', 'entity-name', 'add-config', 'add-config-file',
  'delete-config', ...Object.keys(ENTITY_FLAGS)]);
const BOOLEAN = new Set([...ACTIONS, 'all', 'entity-default', 'help', ...Object.keys(DEFAULT_FLAGS)]);

/** DescribeConfigs resource types and ConfigEntry.ConfigSource names by wire id. */
const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
const SOURCE_NAMES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG', 'DYNAMIC_CLIENT_METRICS_CONFIG', 'DYNAMIC_GROUP_CONFIG'];
const SOURCE = { DYNAMIC_TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3 } as const;
const OP_SET = 0;
const OP_DELETE = 1;

export const HELP = `Usage: sherwood configs --bootstrap-server HOST:PORT (--describe [--all] | --alter ...) <entity>

Describe or change the dynamic configs of a topic or a broker (like kafka-configs.sh).

Actions (exactly one):
  --describe               Configs set for the entity (--all: every config, with defaults)
  --alter                  Change configs: --add-config and/or --delete-config

Entity:
  --entity-type TYPE       topics or brokers
  --entity-name NAME       Topic name or broker id (--describe without it: every entity)
  --entity-default         With brokers: the cluster-wide default
  --topic NAME | --broker ID | --broker-defaults   Shortcuts for the above

Options:
  --add-config LIST        k1=v1,k2=[v1,v2],k3=v3 (square brackets group values with commas)
  --add-config-file FILE   A properties file of configs to add
  --delete-config LIST     k1,k2: remove these overrides (back to the default)
  --all                    With --describe: every config, including defaults and static ones
  --command-config FILE    Client properties: client.id, request.timeout.ms (others are refused)

users, clients, ips (quotas, SCRAM), groups, client-metrics and broker-loggers are not supported yet.`;

export interface ConfigsOptions {
  action: Action;
  bootstrap: string;
  commandConfig: string | null;
  entityType: EntityType;
  /** The entity name; '' is the broker default; null means every entity (describe only). */
  entityName: string | null;
  describeAll: boolean;
  toAdd: [string, string][];
  toDelete: string[];
}

/**
 * Splits --add-config as kafka-configs.sh does: commas outside [...] separate pairs, '=' (with
 * blanks around it) separates key from value, and brackets are dropped from values.
 */
export function parseAddConfig(text: string): [string, string][] {
  const pairs: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      pairs.push(text.slice(start, i));
      start = i + 1;
    }
  }
  pairs.push(text.slice(start));
  return pairs.map((pair) => {
    const eq = outsideBrackets(pair, '=');
    if (eq < 0 || outsideBrackets(pair.slice(eq + 1), '=') >= 0) {
      throw new UsageError('Invalid entity config: all configs to be added must be in the format "key=val" or "key=[val1,val2]" to group values which contain commas.');
    }
    const key = pair.slice(0, eq).trim();
    if (!/^[$a-zA-Z0-9._-]*$/.test(key)) throw new UsageError(`Invalid character found for config key: ${key}`);
    return [key, pair.slice(eq + 1).replace(/[[\]]/g, '').trim()];
  });
}

function outsideBrackets(s: string, ch: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '[') depth++;
    else if (s[i] === ']') depth = Math.max(0, depth - 1);
    else if (s[i] === ch && depth === 0) return i;
  }
  return -1;
}

export function parseConfigsArgs(argv: string[]): ConfigsOptions {
  const { values, flags } = parseOptions(argv, {
    withValue: WITH_VALUE,
    boolean: BOOLEAN,
    refuse: (name) => name === 'zookeeper'
      ? '--zookeeper is not supported: ZooKeeper is gone (as in Kafka 4.0). Use --bootstrap-server HOST:PORT to talk to the broker.'
      : name === 'bootstrap-controller' ? '--bootstrap-controller is not supported: Sherwood has no separate controllers; use --bootstrap-server' : null,
  });
  const action = exactlyOneAction(flags, ACTIONS, 'Command must include exactly one action: --describe, --alter');
  const one = (name: string): string | null => singleValue(values, name);
  if (action === 'describe') {
    for (const o of ['add-config', 'add-config-file', 'delete-config']) {
      if (values.has(o)) throw new UsageError(`Option "[describe]" can't be used with option "[${o}]"`);
    }
  }
  if (flags.has('all') && action !== 'describe') throw new UsageError('Option "[all]" can only be used with option "[describe]"');
  const bootstrap = one('bootstrap-server');
  if (bootstrap === null) throw new UsageError('Missing required argument "[bootstrap-server]"');

  const { entityType, entityName } = parseEntity(values, flags, action);
  const toAdd: [string, string][] = [];
  const addFile = one('add-config-file');
  const addText = one('add-config');
  if (addFile !== null && addText !== null) throw new UsageError('Only one of --add-config or --add-config-file must be specified');
  if (addFile !== null) {
    for (const [k, v] of loadPropertiesFile(addFile, '--add-config-file')) {
      if (!/^[$a-zA-Z0-9._-]*$/.test(k)) throw new UsageError(`Invalid character found for config key: ${k}`);
      toAdd.push([k, v]);
    }
  }
  if (addText !== null) toAdd.push(...parseAddConfig(addText));
  const toDelete = (values.get('delete-config') ?? []).flatMap((v) => v.split(',')).map((k) => k.trim()).filter((k) => k !== '');
  if (action === 'alter' && toAdd.length === 0 && toDelete.length === 0) {
    throw new UsageError('At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter');
  }
  return { action, bootstrap, commandConfig: one('command-config'), entityType, entityName, describeAll: flags.has('all'), toAdd, toDelete };
}

/** The one entity the command is about, checked as ConfigCommandOptions.checkArgs does. */
function parseEntity(values: Map<string, string[]>, flags: Set<string>, action: Action): { entityType: EntityType; entityName: string | null } {
  const types = [...(values.get('entity-type') ?? [])];
  const names: string[] = [...(values.get('entity-name') ?? [])];
  if (flags.has('entity-default')) names.push('');
  const viaFlags = [...Object.keys(ENTITY_FLAGS).filter((f) => values.has(f)), ...Object.keys(DEFAULT_FLAGS).filter((f) => flags.has(f))];
  if (viaFlags.length > 0 && (types.length > 0 || names.length > 0)) {
    throw new UsageError('--entity-{type,name,default} should not be used in conjunction with specific entity flags');
  }
  for (const f of viaFlags) {
    types.push(ENTITY_FLAGS[f] ?? DEFAULT_FLAGS[f]!);
    names.push(f in ENTITY_FLAGS ? values.get(f)![0]! : '');
  }
  const dup = types.find((t, i) => types.indexOf(t) !== i);
  if (dup !== undefined) throw new UsageError(`Duplicate entity type(s) specified: ${dup}`);
  for (const t of types) {
    if (!KAFKA_ENTITY_TYPES.includes(t)) {
      throw new UsageError(`Invalid entity type ${t}, the entity type must be one of ${KAFKA_ENTITY_TYPES.join(', ')} with a --bootstrap-server argument`);
    }
    const refused = REFUSED_TYPES[t];
    if (refused !== undefined) throw new CommandError(`entity type ${t} is not supported: ${refused}`);
  }
  if (types.length === 0) throw new UsageError('At least one entity type must be specified');
  if (types.length > 1) throw new UsageError("Only 'users' and 'clients' entity types may be specified together");
  if (names.length > 1) throw new UsageError('Only one entity name may be given');
  const entityType = types[0] as EntityType;
  const entityName = names[0] ?? null;
  if (entityType === 'brokers' && entityName !== null && entityName !== '' && !/^-?\d+$/.test(entityName)) {
    throw new UsageError(`The entity name for brokers must be a valid integer broker id, but it is: ${entityName}`);
  }
  if (entityType === 'topics' && entityName === '') {
    throw new UsageError(action === 'describe' ? '--entity-default must not be specified with --describe of topics' : 'An entity name must be specified with --alter of topics');
  }
  if (action === 'alter' && entityName === null) {
    throw new UsageError(entityType === 'topics' ? 'An entity name must be specified with --alter of topics'
      : 'An entity-name or default entity must be specified with --alter of users, clients, brokers or ips');
  }
  return { entityType, entityName };
}

/** The resource type and the config source that counts as "dynamic" for an entity. */
function resourceOf(type: EntityType, name: string): { resourceType: number; dynamicSource: number } {
  if (type === 'topics') return { resourceType: RESOURCE_TOPIC, dynamicSource: SOURCE.DYNAMIC_TOPIC_CONFIG };
  return { resourceType: RESOURCE_BROKER, dynamicSource: name === '' ? SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG : SOURCE.DYNAMIC_BROKER_CONFIG };
}

type ConfigEntry = DescribeConfigsResponseDescribeConfigsResult['configs'][number];

/** The entity's configs sorted by name: only its dynamic ones unless `all`. */
async function resourceConfigs(client: KafkaClient, type: EntityType, name: string, all: boolean, includeSynonyms: boolean): Promise<ConfigEntry[]> {
  const { resourceType, dynamicSource } = resourceOf(type, name);
  const res = await client.request(DescribeConfigs, {
    resources: [{ resourceType, resourceName: name, configurationKeys: null }], includeSynonyms, includeDocumentation: false,
  });
  const r = res.results[0];
  if (r === undefined) throw new CommandError('the broker returned no result');
  if (r.errorCode !== ErrorCode.NONE) throw new CommandError(r.errorMessage ?? errorName(r.errorCode));
  return r.configs.filter((c) => all || c.configSource === dynamicSource).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** "  name=value sensitive=false synonyms={SOURCE:name=value, ...}" as ConfigCommand prints an entry. */
export function formatEntry(e: ConfigEntry): string {
  const synonyms = e.synonyms.map((s) => `${SOURCE_NAMES[s.source] ?? 'UNKNOWN'}:${s.name}=${s.value}`).join(', ');
  return `  ${e.name}=${e.value} sensitive=${e.isSensitive} synonyms={${synonyms}}`;
}

async function describe(client: KafkaClient, o: ConfigsOptions, out: Output): Promise<void> {
  let entities: string[];
  if (o.entityName !== null) {
    if (!o.describeAll && !(await entityExists(client, o.entityType, o.entityName))) {
      out(`The ${o.entityType.slice(0, -1)} '${o.entityName}' doesn't exist and doesn't have dynamic config.`);
      return;
    }
    entities = [o.entityName];
  } else {
    const md = await client.metadata(o.entityType === 'topics' ? null : []);
    entities = o.entityType === 'topics' ? md.topics.filter((t) => t.errorCode === ErrorCode.NONE).map((t) => t.name).sort()
      : [...md.brokers.map((b) => String(b.nodeId)), ''];
  }
  for (const name of entities) {
    out(name === '' ? `Default configs for ${o.entityType} in the cluster are:`
      : `${o.describeAll ? 'All' : 'Dynamic'} configs for ${o.entityType.slice(0, -1)} ${name} are:`);
    for (const e of await resourceConfigs(client, o.entityType, name, o.describeAll, true)) out(formatEntry(e));
  }
}

async function entityExists(client: KafkaClient, type: EntityType, name: string): Promise<boolean> {
  if (type === 'brokers') return name === '' || (await client.metadata([])).brokers.some((b) => String(b.nodeId) === name);
  const md = await client.metadata([name]);
  return md.topics.some((t) => t.name === name && t.errorCode === ErrorCode.NONE);
}

async function alter(client: KafkaClient, o: ConfigsOptions, out: Output): Promise<void> {
  const name = o.entityName!;
  if (o.toDelete.length > 0) {
    const current = new Set((await resourceConfigs(client, o.entityType, name, false, false)).map((e) => e.name));
    const invalid = o.toDelete.filter((k) => !current.has(k));
    if (invalid.length > 0) throw new CommandError(`Invalid config(s): ${invalid.join(',')}`);
  }
  const { resourceType } = resourceOf(o.entityType, name);
  const res = await client.request(IncrementalAlterConfigs, {
    resources: [{
      resourceType, resourceName: name,
      configs: [
        ...o.toDelete.map((k) => ({ name: k, configOperation: OP_DELETE, value: null })),
        ...o.toAdd.map(([k, v]) => ({ name: k, configOperation: OP_SET, value: v })),
      ],
    }],
    validateOnly: false,
  });
  const r = res.responses[0];
  if (r === undefined) throw new CommandError('the broker returned no result');
  if (r.errorCode !== ErrorCode.NONE) throw new CommandError(r.errorMessage ?? errorName(r.errorCode));
  out(name === '' ? `Completed updating default config for ${o.entityType} in the cluster.`
    : `Completed updating config for ${o.entityType.slice(0, -1)} ${name}.`);
}

/** Entry point: argv is what follows `sherwood configs`. Resolves to the exit code. */
export async function main(argv: string[], out: Output = stdout, err: Output = stderr): Promise<number> {
  return runCommand('configs', HELP, out, err, async () => {
    const o = parseConfigsArgs(argv);
    await withClient(o.bootstrap, adminClientOptions(o.commandConfig, 'sherwood-configs'), (client) =>
      o.action === 'describe' ? describe(client, o, out) : alter(client, o, out));
  });
}
