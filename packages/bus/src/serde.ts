import type { Client, SchemaInfo } from '@confluentinc/schemaregistry';
import { avroType, decodeJsonBytes, MAX_VALUE_DEPTH, oversize, redactText, redactUrl, RejectedEvent, schemaJson, type SchemaName } from '@kanshi/contract';
import https from 'node:https';
import avro from 'avsc';
import { BusError } from './errors.js';
import { TOPICS, type TopicSpec } from './topics.js';

type RegistryModule = typeof import('@confluentinc/schemaregistry');

/** The part of a topic's spec the serde needs. */
export type SerdeTopic = Pick<TopicSpec, 'name' | 'valueSchema' | 'compacted' | 'acceptsJson'>;

export interface AvroSerdeOptions {
  /**
   * Confluent-compatible registry base URL, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`
   * (Apicurio) or `http://host:8081` (Confluent); `mock://<name>` keeps schemas in process.
   */
  registryUrl: string;
  /** topics the serde can encode and decode; default the whole topic table */
  topics?: readonly SerdeTopic[];
  /**
   * Register each contract schema under `<topic>-value` at start-up (default true). With false
   * the schema must already be registered, and start-up fails naming the missing subject.
   */
  autoRegister?: boolean;
  /** per registry request, milliseconds; default 10000 */
  requestTimeoutMs?: number;
  /** use this client instead of building one (tests share a mock registry this way) */
  client?: Client;
  /** HTTP basic auth; a `user:pass@` in `registryUrl` is taken as this too (not both) */
  basicAuth?: { username: string; password: string };
  /** PEM of the CA(s) an https registry's certificate must chain to; default the system's */
  ca?: string;
}

interface AvroBinding {
  readonly kind: 'avro';
  readonly topic: string;
  readonly subject: string;
  readonly schemaId: number;
  /** namespace.name of the contract record, what every accepted writer schema must be */
  readonly recordName: string;
  readonly compacted: boolean;
  /** a brokerage input topic: a JSON object is read beside Avro frames */
  readonly acceptsJson: boolean;
  /** the contract schema, compiled once: what values of this topic are written with */
  readonly type: avro.Type;
  /** writer schema id -> its compiled type when acceptable, else why not; registry schemas are immutable */
  readonly writers: Map<number, avro.Type | string>;
}

interface JsonBinding {
  readonly kind: 'json';
  readonly topic: string;
  readonly compacted: boolean;
}

type Binding = AvroBinding | JsonBinding;

const FRAME_HEADER_BYTES = 5;

function recordName(schema: unknown): string {
  const s = schema as { name?: string; namespace?: string };
  if (!s.name) return '';
  return s.name.includes('.') || !s.namespace ? s.name : `${s.namespace}.${s.name}`;
}

/**
 * Encodes and decodes message values per topic. Topics with a contract schema travel as Avro
 * in the Confluent wire format (magic byte 0, 4-byte schema id, Avro body) under the
 * TopicNameStrategy subject `<topic>-value`; internal topics (no schema in the table) travel as
 * JSON, their shape being owned by the services on both ends.
 *
 * Built once at start-up with {@link AvroSerde.create}: schema ids are resolved there, never
 * per message, and each writer schema is compiled once. The frames are built and read here with
 * avsc rather than through the registry library's serializers, which re-stringify and re-walk
 * the schema for every message (~15 % of the pipeline's CPU in the Kafka bench) to look for
 * data-contract rules that the contract schemas do not carry. Decoding never throws for bad
 * bytes: it returns a `RejectedEvent` with the reason. It does throw a retriable `BusError`
 * when the registry is unreachable, because then the message is not bad and must not be
 * dead-lettered.
 */
export class AvroSerde {
  private constructor(
    private readonly registry: RegistryModule,
    private readonly client: Client,
    private readonly bindings: ReadonlyMap<string, Binding>,
  ) {}

  /** Resolves (and by default registers) every topic's schema; fails fast when it cannot. */
  static async create(opts: AvroSerdeOptions): Promise<AvroSerde> {
    const { baseUrl, userInfo, shown } = registryTarget(opts);
    // Loaded lazily: the library pulls in cloud KMS SDKs (~1 s), which embedded mode never needs.
    const registry = await import('@confluentinc/schemaregistry');
    const client =
      opts.client ??
      registry.SchemaRegistryClient.newClient({
        baseURLs: [baseUrl],
        cacheCapacity: 1000,
        maxRetries: 2,
        basicAuthCredentials: userInfo === undefined ? undefined : { credentialsSource: 'USER_INFO', userInfo },
        createAxiosDefaults: {
          timeout: opts.requestTimeoutMs ?? 10_000,
          ...(opts.ca === undefined ? {} : { httpsAgent: new https.Agent({ ca: opts.ca, keepAlive: true }) }),
        },
      });
    const autoRegister = opts.autoRegister ?? true;
    const bindings = await Promise.all(
      (opts.topics ?? TOPICS).map(async (topic): Promise<Binding> => {
        if (topic.valueSchema === null) return { kind: 'json', topic: topic.name, compacted: topic.compacted };
        return bindAvro(registry, client, topic, topic.valueSchema, autoRegister, shown);
      }),
    );
    return new AvroSerde(registry, client, new Map(bindings.map((b) => [b.topic, b])));
  }

  /** The registry id values of this topic are written with; null for a JSON topic. */
  schemaId(topic: string): number | null {
    const b = this.binding(topic);
    return b.kind === 'avro' ? b.schemaId : null;
  }

  /**
   * An internal JSON topic that is not compacted: its messages need no key of their own on the
   * broker, so the Kafka bus may carry several in one record.
   */
  packable(topic: string): boolean {
    const b = this.binding(topic);
    return b.kind === 'json' && !b.compacted;
  }

  /** The registry client, for callers that need to look something up (tests, tooling). */
  registryClient(): Client {
    return this.client;
  }

  /**
   * The wire bytes of a value, or null for a tombstone (compacted topics only).
   * Throws `BusError('encode_failed')` when the value does not fit the schema: that is the
   * producing code's bug, not an input to reject.
   */
  async encode(topic: string, value: unknown): Promise<Buffer | null> {
    const b = this.binding(topic);
    if (value === null || value === undefined) {
      if (b.compacted) return null;
      throw new BusError('encode_failed', `${topic}: a null value is a tombstone, which only compacted topics accept`);
    }
    if (b.kind === 'json') return Buffer.from(JSON.stringify(value));
    let misfit = '';
    const ok = b.type.isValid(value, {
      errorHook: (at, got, type) => {
        misfit ||= `Invalid message at ${at.join('.')}, expected ${typeLabel(type)}, got ${describe(got)}`;
      },
    });
    if (!ok) throw new BusError('encode_failed', `${topic}: value does not fit ${b.recordName}: ${misfit}`);
    const body = b.type.toBuffer(value);
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
    frame[0] = 0;
    frame.writeInt32BE(b.schemaId, 1);
    body.copy(frame, FRAME_HEADER_BYTES);
    return frame;
  }

  /**
   * The value of a message, a `RejectedEvent` saying why the bytes are not one, or null for a
   * tombstone on a compacted topic. Avro records come back as avsc record objects, with null
   * for absent optional fields.
   */
  async decode(topic: string, payload: Buffer | null): Promise<unknown> {
    const b = this.binding(topic);
    if (payload === null || payload.length === 0) {
      return b.compacted ? null : new RejectedEvent(`empty value on ${topic}, which is not a compacted topic`, { code: 'empty_value' });
    }
    // bounded before anything reads it: a value no Kanshi producer could have written is refused whole
    const big = oversize(payload.length);
    if (big) return big;
    if (b.kind === 'json') return decodeJsonBytes(payload);
    // Brokerages that cannot produce Avro may send the same record as JSON on their input topics:
    // an Avro frame starts with the zero magic byte, a JSON object with '{', so the two never mix
    // up. Kanshi's own topics take only Avro: raw JSON on `findings` must not become a hold.
    if (payload[0] === 0x7b && b.acceptsJson) return decodeJsonBytes(payload);
    const frameProblem = checkFrame(payload);
    if (frameProblem) return new RejectedEvent(frameProblem, { code: 'bad_frame' });
    const schemaId = payload.readInt32BE(1);
    const writer = b.writers.get(schemaId) ?? (await this.writerType(b, schemaId));
    if (typeof writer === 'string') return new RejectedEvent(writer, { code: 'unknown_schema' });
    try {
      return writer.fromBuffer(payload.subarray(FRAME_HEADER_BYTES));
    } catch (e) {
      return new RejectedEvent(`Avro body does not decode with schema id ${schemaId} (${b.recordName}): ${(e as Error).message}`, { code: 'bad_avro' });
    }
  }

  private binding(topic: string): Binding {
    const b = this.bindings.get(topic);
    if (!b) throw new BusError('unknown_topic', `topic ${topic} is not in the serde's topic table`);
    return b;
  }

  // A registered schema never changes, so the check runs once per writer schema id. Unknown ids
  // are not remembered: a flood of random ids must not grow memory.
  private async writerType(b: AvroBinding, schemaId: number): Promise<avro.Type | string> {
    let info: SchemaInfo;
    try {
      info = await this.client.getBySubjectAndId(b.subject, schemaId);
    } catch (e) {
      if (e instanceof this.registry.RestError && e.status === 404) {
        return `unknown schema id ${schemaId}: the registry has no such schema`;
      }
      throw outage(e);
    }
    let writer: avro.Type | string;
    if (info.schemaType !== undefined && info.schemaType !== 'AVRO') {
      writer = `schema id ${schemaId} is a ${info.schemaType} schema, ${b.topic} carries Avro ${b.recordName}`;
    } else {
      const name = safeRecordName(info.schema);
      if (name !== b.recordName) {
        writer = `schema id ${schemaId} is ${name || 'not a record'}, ${b.topic} carries ${b.recordName}`;
      } else {
        try {
          // schema references are not followed: the contract's records are self-contained, and a
          // writer schema that needs others is refused here, with this reason
          writer = avro.Type.forSchema(JSON.parse(info.schema) as avro.Schema);
          // a recursive schema lets a small frame nest without end: refused before any body is read
          const depth = nesting(writer);
          if (depth > MAX_VALUE_DEPTH) writer = `schema id ${schemaId} nests ${Number.isFinite(depth) ? `${depth} levels` : 'without end (recursive)'}, more than ${MAX_VALUE_DEPTH}`;
        } catch (e) {
          writer = `schema id ${schemaId} is not a schema avsc can read: ${(e as Error).message}`;
        }
      }
    }
    b.writers.set(schemaId, writer);
    return writer;
  }
}

async function bindAvro(
  registry: RegistryModule,
  client: Client,
  topic: SerdeTopic,
  schemaName: SchemaName,
  autoRegister: boolean,
  registryUrl: string,
): Promise<AvroBinding> {
  const subject = `${topic.name}-value`;
  const json = schemaJson(schemaName);
  const info: SchemaInfo = { schemaType: 'AVRO', schema: JSON.stringify(json) };
  let schemaId: number;
  try {
    schemaId = autoRegister ? await client.register(subject, info, false) : await client.getId(subject, info, false);
  } catch (e) {
    if (e instanceof registry.RestError && e.status < 500) {
      const action = autoRegister ? 'register' : 'find';
      throw new BusError('schema_unavailable', `could not ${action} ${schemaName} as ${subject} in ${registryUrl}: ${redactText(e.message)}`, { cause: e });
    }
    throw new BusError('registry_unreachable', `schema registry ${registryUrl} did not answer: ${redactText((e as Error).message)}`, { cause: e });
  }
  const own = recordName(json);
  const type = avroType(schemaName);
  return {
    kind: 'avro',
    topic: topic.name,
    subject,
    schemaId,
    recordName: own,
    compacted: topic.compacted,
    acceptsJson: topic.acceptsJson === true,
    type,
    writers: new Map([[schemaId, type]]),
  };
}

/**
 * The registry's URL without credentials, the basic-auth user info, and the URL as messages
 * show it (no password: errors are printed and logged).
 */
function registryTarget(opts: AvroSerdeOptions): { baseUrl: string; userInfo?: string; shown: string } {
  const raw = opts.registryUrl;
  const bad = (why: string) => new BusError('invalid_config', `registryUrl ${why}`);
  if (typeof raw !== 'string' || !/^(https?|mock):\/\/\S+$/.test(raw)) throw bad(`must be an http(s):// or mock:// URL, got ${JSON.stringify(typeof raw === 'string' ? redactUrl(raw) : raw)}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad(`is not a URL: ${JSON.stringify(redactUrl(raw))}`);
  }
  let userInfo: string | undefined;
  if (url.username || url.password) {
    if (opts.basicAuth) throw bad('carries credentials and basicAuth is given too: give them one way');
    userInfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    url.username = '';
    url.password = '';
  } else if (opts.basicAuth) {
    if (!opts.basicAuth.username) throw new BusError('invalid_config', 'basicAuth.username is empty');
    userInfo = `${opts.basicAuth.username}:${opts.basicAuth.password}`;
  }
  if (opts.ca !== undefined && !/-----BEGIN CERTIFICATE-----/.test(opts.ca)) throw new BusError('invalid_config', 'ca is not a PEM certificate (-----BEGIN CERTIFICATE-----)');
  const baseUrl = url.protocol === 'mock:' ? raw : url.href.replace(/\/+$/, '');
  return { baseUrl, userInfo, shown: redactUrl(baseUrl) };
}

/** How deep values of a type can nest (records, arrays, maps); Infinity for a recursive type. */
function nesting(t: avro.Type, within: Set<avro.Type> = new Set()): number {
  if (within.has(t)) return Number.POSITIVE_INFINITY;
  const u = t as unknown as { fields?: { type: avro.Type }[]; itemsType?: avro.Type; valuesType?: avro.Type; types?: avro.Type[] };
  const inner = u.fields?.map((f) => f.type) ?? u.types ?? [u.itemsType ?? u.valuesType].filter((x): x is avro.Type => x !== undefined);
  if (inner.length === 0) return 0;
  within.add(t);
  const deepest = Math.max(...inner.map((x) => nesting(x, within)));
  within.delete(t);
  // a union adds no level of its own
  return u.types ? deepest : deepest + 1;
}

function checkFrame(payload: Buffer): string | null {
  if (payload.length < FRAME_HEADER_BYTES) {
    return `${payload.length} bytes is too short for a schema-registry Avro frame (magic byte and 4-byte schema id)`;
  }
  const magic = payload[0];
  if (magic !== 0) {
    const hint = magic === 0x7b ? '; the value looks like JSON, which this topic does not accept' : '';
    return `unknown magic byte 0x${magic.toString(16).padStart(2, '0')} (expected 0x00, the schema-registry wire format)${hint}`;
  }
  return null;
}

function typeLabel(t: avro.Type): string {
  return t.typeName === 'record' || t.typeName === 'enum' || t.typeName === 'fixed' ? `${t.typeName} ${t.name ?? ''}`.trim() : t.typeName;
}

function describe(v: unknown): string {
  let text: string;
  try {
    text = typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function safeRecordName(schema: string): string {
  try {
    return recordName(JSON.parse(schema));
  } catch {
    return '';
  }
}

function outage(e: unknown): BusError {
  if (e instanceof BusError) return e;
  return new BusError('registry_unreachable', `schema registry did not answer: ${redactText((e as Error).message)}`, { cause: e });
}

/**
 * An Avro-decoded value in the contract's shapes: Dates (timestamp logical types) become epoch
 * milliseconds and bigints (longs) numbers, at any depth up to {@link MAX_VALUE_DEPTH}. Every
 * consumer of decoded records uses this one conversion. Deeper than that (a recursive writer
 * schema, or a value handed over without the serde) it returns a `RejectedEvent` (`too_deep`)
 * instead of running out of stack: the caller rejects it like any unreadable record.
 */
export function fromAvro(v: unknown): unknown {
  try {
    return convert(v, 0);
  } catch (e) {
    if (e === TOO_DEEP) return new RejectedEvent(`nests deeper than ${MAX_VALUE_DEPTH} levels`, { code: 'too_deep' });
    throw e;
  }
}

const TOO_DEEP = Symbol('too deep');

function convert(v: unknown, depth: number): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'object' || v === null || v instanceof RejectedEvent || Buffer.isBuffer(v)) return v;
  if (depth >= MAX_VALUE_DEPTH) throw TOO_DEEP;
  if (Array.isArray(v)) return v.map((x) => convert(x, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, convert(x, depth + 1)]));
}
