import type { AvroDeserializer, AvroSerializer, Client, SchemaInfo, SubjectNameStrategyType } from '@confluentinc/schemaregistry';
import { RejectedEvent, schemaJson, type SchemaName } from '@kanshi/contract';
import { BusError } from './errors.js';
import { TOPICS, type TopicSpec } from './topics.js';

type RegistryModule = typeof import('@confluentinc/schemaregistry');

/** The part of a topic's spec the serde needs. */
export type SerdeTopic = Pick<TopicSpec, 'name' | 'valueSchema' | 'compacted'>;

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
}

interface AvroBinding {
  readonly kind: 'avro';
  readonly topic: string;
  readonly subject: string;
  readonly schemaId: number;
  /** namespace.name of the contract record, what every accepted writer schema must be */
  readonly recordName: string;
  readonly compacted: boolean;
  readonly serializer: AvroSerializer;
  /** writer schema id -> null when acceptable, else why not; registry schemas are immutable */
  readonly writerVerdicts: Map<number, string | null>;
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
 * per message. Decoding never throws for bad bytes: it returns a `RejectedEvent` with the
 * reason. It does throw a retriable `BusError` when the registry is unreachable, because
 * then the message is not bad and must not be dead-lettered.
 */
export class AvroSerde {
  private constructor(
    private readonly registry: RegistryModule,
    private readonly client: Client,
    private readonly deserializer: AvroDeserializer,
    private readonly bindings: ReadonlyMap<string, Binding>,
  ) {}

  /** Resolves (and by default registers) every topic's schema; fails fast when it cannot. */
  static async create(opts: AvroSerdeOptions): Promise<AvroSerde> {
    if (typeof opts.registryUrl !== 'string' || !/^(https?|mock):\/\/\S+$/.test(opts.registryUrl)) {
      throw new BusError('invalid_config', `registryUrl must be an http(s):// or mock:// URL, got ${JSON.stringify(opts.registryUrl)}`);
    }
    // Loaded lazily: the library pulls in cloud KMS SDKs (~1 s), which embedded mode never needs.
    const registry = await import('@confluentinc/schemaregistry');
    const client =
      opts.client ??
      registry.SchemaRegistryClient.newClient({
        baseURLs: [opts.registryUrl],
        cacheCapacity: 1000,
        maxRetries: 2,
        createAxiosDefaults: { timeout: opts.requestTimeoutMs ?? 10_000 },
      });
    const strategy = { subjectNameStrategyType: registry.SubjectNameStrategyType.TOPIC };
    const deserializer = new registry.AvroDeserializer(client, registry.SerdeType.VALUE, strategy);
    const autoRegister = opts.autoRegister ?? true;
    const bindings = await Promise.all(
      (opts.topics ?? TOPICS).map(async (topic): Promise<Binding> => {
        if (topic.valueSchema === null) return { kind: 'json', topic: topic.name, compacted: topic.compacted };
        return bindAvro(registry, client, topic, topic.valueSchema, autoRegister, opts.registryUrl, strategy);
      }),
    );
    return new AvroSerde(registry, client, deserializer, new Map(bindings.map((b) => [b.topic, b])));
  }

  /** The registry id values of this topic are written with; null for a JSON topic. */
  schemaId(topic: string): number | null {
    const b = this.binding(topic);
    return b.kind === 'avro' ? b.schemaId : null;
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
    try {
      return await b.serializer.serialize(topic, value);
    } catch (e) {
      if (this.isRegistryOutage(e)) throw outage(e);
      throw new BusError('encode_failed', `${topic}: value does not fit ${b.recordName}: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * The value of a message, a `RejectedEvent` saying why the bytes are not one, or null for a
   * tombstone on a compacted topic. Avro records come back as avsc record objects, with null
   * for absent optional fields.
   */
  async decode(topic: string, payload: Buffer | null): Promise<unknown> {
    const b = this.binding(topic);
    if (payload === null || payload.length === 0) {
      return b.compacted ? null : new RejectedEvent(`empty value on ${topic}, which is not a compacted topic`);
    }
    if (b.kind === 'json') return decodeJson(payload);
    // Brokerages that cannot produce Avro may send the same record as JSON: an Avro frame starts
    // with the zero magic byte, a JSON object with '{', so the two never mix up.
    if (payload[0] === 0x7b) return decodeJson(payload);
    const frameProblem = checkFrame(payload);
    if (frameProblem) return new RejectedEvent(frameProblem);
    const schemaId = payload.readInt32BE(1);
    const verdict = await this.writerVerdict(b, schemaId);
    if (verdict) return new RejectedEvent(verdict);
    try {
      return await this.deserializer.deserialize(topic, payload);
    } catch (e) {
      if (this.isRegistryOutage(e)) throw outage(e);
      return new RejectedEvent(`Avro body does not decode with schema id ${schemaId} (${b.recordName}): ${(e as Error).message}`);
    }
  }

  private binding(topic: string): Binding {
    const b = this.bindings.get(topic);
    if (!b) throw new BusError('unknown_topic', `topic ${topic} is not in the serde's topic table`);
    return b;
  }

  // A registered schema never changes, so the check runs once per writer schema id. Unknown ids
  // are not remembered: a flood of random ids must not grow memory.
  private async writerVerdict(b: AvroBinding, schemaId: number): Promise<string | null> {
    const known = b.writerVerdicts.get(schemaId);
    if (known !== undefined) return known;
    let info: SchemaInfo;
    try {
      info = await this.client.getBySubjectAndId(b.subject, schemaId);
    } catch (e) {
      if (e instanceof this.registry.RestError && e.status === 404) {
        return `unknown schema id ${schemaId}: the registry has no such schema`;
      }
      throw outage(e);
    }
    let verdict: string | null = null;
    if (info.schemaType !== undefined && info.schemaType !== 'AVRO') {
      verdict = `schema id ${schemaId} is a ${info.schemaType} schema, ${b.topic} carries Avro ${b.recordName}`;
    } else {
      const name = safeRecordName(info.schema);
      if (name !== b.recordName) {
        verdict = `schema id ${schemaId} is ${name || 'not a record'}, ${b.topic} carries ${b.recordName}`;
      }
    }
    b.writerVerdicts.set(schemaId, verdict);
    return verdict;
  }

  private isRegistryOutage(e: unknown): boolean {
    if (e instanceof this.registry.RestError) return e.status >= 500 || e.status === 429;
    return (e as { isAxiosError?: boolean } | null)?.isAxiosError === true;
  }
}

async function bindAvro(
  registry: RegistryModule,
  client: Client,
  topic: SerdeTopic,
  schemaName: SchemaName,
  autoRegister: boolean,
  registryUrl: string,
  strategy: { subjectNameStrategyType: SubjectNameStrategyType },
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
      throw new BusError('schema_unavailable', `could not ${action} ${schemaName} as ${subject} in ${registryUrl}: ${e.message}`, { cause: e });
    }
    throw new BusError('registry_unreachable', `schema registry ${registryUrl} did not answer: ${(e as Error).message}`, { cause: e });
  }
  // useSchemaId, not autoRegisterSchemas: with auto-registration the library derives a schema
  // from each message's JS shape instead of using the contract schema.
  const serializer = new registry.AvroSerializer(client, registry.SerdeType.VALUE, {
    ...strategy,
    autoRegisterSchemas: false,
    useSchemaId: schemaId,
  });
  const own = recordName(json);
  return {
    kind: 'avro',
    topic: topic.name,
    subject,
    schemaId,
    recordName: own,
    compacted: topic.compacted,
    serializer,
    writerVerdicts: new Map([[schemaId, null]]),
  };
}

function checkFrame(payload: Buffer): string | null {
  if (payload.length < FRAME_HEADER_BYTES) {
    return `${payload.length} bytes is too short for a schema-registry Avro frame (magic byte and 4-byte schema id)`;
  }
  const magic = payload[0];
  if (magic !== 0) {
    const hint = magic === 0x7b ? '; the value looks like JSON' : '';
    return `unknown magic byte 0x${magic.toString(16).padStart(2, '0')} (expected 0x00, the schema-registry wire format)${hint}`;
  }
  return null;
}

function safeRecordName(schema: string): string {
  try {
    return recordName(JSON.parse(schema));
  } catch {
    return '';
  }
}

function decodeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch (e) {
    return new RejectedEvent(`invalid JSON: ${(e as Error).message}`);
  }
}

function outage(e: unknown): BusError {
  if (e instanceof BusError) return e;
  return new BusError('registry_unreachable', `schema registry did not answer: ${(e as Error).message}`, { cause: e });
}

/**
 * An Avro-decoded value in the contract's shapes: Dates (timestamp logical types) become epoch
 * milliseconds and bigints (longs) numbers, at any depth. Every consumer of decoded records uses
 * this one conversion.
 */
export function fromAvro(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(fromAvro);
  if (typeof v !== 'object' || v === null || v instanceof RejectedEvent || Buffer.isBuffer(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromAvro(x)]));
}
