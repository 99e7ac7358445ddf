/**
 * Snapshots of detection state: compact binary, versioned, pure (bytes in, bytes out).
 *
 * Generic on purpose: the stage classes gain fields as detection evolves, and a codec that
 * listed every field would fall behind them silently. The object graph is walked as it is:
 * plain data, Maps, Sets, typed arrays and bigints pass through node:v8's serializer (which
 * keeps shared references and cycles); an instance of a registered class travels as its name
 * and own fields, and comes back as Object.create(prototype) + its fields, without running a
 * constructor. What a snapshot must not carry (the reference data, the config, key functions)
 * is an external, named by identity and supplied again on restore.
 *
 * Versioning: FORMAT is the container's layout. The state's layout has its own number (see
 * snapshot-migrations.ts): a snapshot of an older one is migrated step by step when every step
 * is registered, else refused with the reason. Each class's field names are recorded and
 * compared with the running code's (from a sample instance), after any migration. A snapshot
 * of another format, of a class whose fields differ, or with a class this code does not know,
 * is refused with a reason, never restored half-right: the caller rebuilds from the log.
 */
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AccountStage, AccountState } from './account-stage.js';
import { CampaignWindow } from './campaign.js';
import { EventIdDeduper } from './dedupe.js';
import { byEventId, byTs, EventTimeHeap, WatermarkMerge } from './heap.js';
import { Incident } from './incident.js';
import { HourHistograms } from './profile.js';
import { ReferenceData } from './reference.js';
import { EventTimeReorderBuffer } from './reorder.js';
import { SellRun } from './sell-run.js';
import { SymbolStage, SymbolState } from './symbol-stage.js';
import { DEFAULT_DETECTION_CONFIG } from './config.js';
import { CLASS, DETECTION_MIGRATIONS, DETECTION_STATE_VERSION, EXT, layoutOf, migrate, type SnapshotMigration } from './snapshot-migrations.js';

/**
 * The container's version. Layout: magic, this number (u16), the header's length (u32), the
 * SHA-256 of everything after the prefix, the JSON header, the gzipped v8 body.
 */
export const SNAPSHOT_FORMAT = 1;
const MAGIC = Buffer.from('KNSS', 'latin1');
const SUM = MAGIC.length + 2 + 4;
const PREFIX = SUM + 32;

/** A class whose instances a snapshot may hold: its name in snapshots, and a sample to read its fields from. */
export interface SnapshotClass {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  cls: abstract new (...args: any[]) => object;
  sample: () => object;
}

export interface SnapshotHeader {
  format: number;
  /** the state layout version that wrote it (absent in the first snapshots: 1) */
  state?: number;
  /** field names per class, as the writing code had them */
  layout: Record<string, string[]>;
  /** what the caller said the state covers (offsets, watermarks, a config fingerprint) */
  meta: Record<string, unknown>;
  bodyBytes: number;
}

/** `migrated`: the steps applied to bring an older state to this code's layout (none: it was current). */
export type Restored<T> = { ok: true; state: T; header: SnapshotHeader; migrated: string[] } | { ok: false; reason: string };

/** A programming error: the state holds something the codec cannot carry (an unregistered class, a closure). */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

const noRef = new ReferenceData();
type Keyed = { ts: number; eventId: string };

/** The detection classes a stage's state is made of. */
export const DETECTION_CLASSES: readonly SnapshotClass[] = [
  { name: 'AccountStage', cls: AccountStage, sample: () => new AccountStage(noRef, DEFAULT_DETECTION_CONFIG) },
  { name: 'AccountState', cls: AccountState, sample: () => new AccountState(new HourHistograms()) },
  { name: 'HourHistograms', cls: HourHistograms, sample: () => new HourHistograms() },
  // the config as a trailing argument, which a constructor that does not take it ignores: a
  // sample is only read for its field names, and must not break when the signature gains it
  { name: 'Incident', cls: Incident, sample: () => Reflect.construct(Incident, ['', 0, 0, undefined, DEFAULT_DETECTION_CONFIG]) as Incident },
  { name: 'SellRun', cls: SellRun, sample: () => new SellRun() },
  { name: 'SymbolStage', cls: SymbolStage, sample: () => new SymbolStage(noRef, DEFAULT_DETECTION_CONFIG) },
  { name: 'SymbolState', cls: SymbolState, sample: () => new SymbolState('') },
  { name: 'CampaignWindow', cls: CampaignWindow, sample: () => new CampaignWindow() },
  { name: 'EventIdDeduper', cls: EventIdDeduper, sample: () => new EventIdDeduper(0) },
  { name: 'EventTimeHeap', cls: EventTimeHeap, sample: () => new EventTimeHeap<Keyed>(byTs, byEventId) },
  { name: 'WatermarkMerge', cls: WatermarkMerge, sample: () => new WatermarkMerge<Keyed>(1, byTs, byEventId) },
  { name: 'EventTimeReorderBuffer', cls: EventTimeReorderBuffer, sample: () => new EventTimeReorderBuffer<Keyed>(0, byTs, byEventId) },
];

export interface SnapshotCodecOptions {
  /** classes beyond the detection ones (a service's task wrappers) */
  classes?: readonly SnapshotClass[];
  /** objects and functions named, not copied: the same names must be given on restore */
  externals?: Record<string, unknown>;
  /** gzip level, 1 (fast) to 9; default 3 */
  level?: number;
  /** the state layout version written and read; default DETECTION_STATE_VERSION */
  version?: number;
  /** steps from older versions; default DETECTION_MIGRATIONS */
  migrations?: readonly SnapshotMigration[];
}

export class SnapshotCodec {
  private readonly byProto = new Map<object, SnapshotClass>();
  private readonly byName = new Map<string, SnapshotClass>();
  private readonly extByValue = new Map<unknown, string>();
  private readonly extByName = new Map<string, unknown>();
  private current: Record<string, string[]> | null = null;
  private readonly level: number;
  readonly version: number;
  private readonly migrations = new Map<number, SnapshotMigration>();

  constructor(o: SnapshotCodecOptions = {}) {
    for (const c of [...DETECTION_CLASSES, ...(o.classes ?? [])]) {
      if (this.byName.has(c.name)) throw new SnapshotError(`class name ${c.name} registered twice`);
      this.byName.set(c.name, c);
      this.byProto.set(c.cls.prototype as object, c);
    }
    for (const [name, v] of Object.entries({ byTs, byEventId, ...o.externals })) {
      this.extByValue.set(v, name);
      this.extByName.set(name, v);
    }
    this.level = o.level ?? 3;
    this.version = o.version ?? DETECTION_STATE_VERSION;
    for (const m of o.migrations ?? DETECTION_MIGRATIONS) {
      if (this.migrations.has(m.from)) throw new SnapshotError(`two migrations from state version ${m.from}`);
      this.migrations.set(m.from, m);
    }
  }

  /** The running code's field names per class. */
  layout(): Record<string, string[]> {
    this.current ??= Object.fromEntries([...this.byName].map(([n, c]) => [n, Object.keys(c.sample()).sort()]));
    return this.current;
  }

  /** The state as bytes. Throws SnapshotError when it holds what cannot be carried (a bug to fix, not an input). */
  encode(state: unknown, meta: Record<string, unknown> = {}): Buffer {
    const layout: Record<string, string[]> = {};
    const plain = new Walker(this, layout).out(state);
    const body = gzipSync(serialize(plain), { level: this.level });
    const header: SnapshotHeader = {
      format: SNAPSHOT_FORMAT,
      state: this.version,
      layout: Object.fromEntries(Object.entries(layout).map(([k, v]) => [k, [...v].sort()])),
      meta, bodyBytes: body.length,
    };
    const json = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(PREFIX);
    MAGIC.copy(prefix, 0);
    prefix.writeUInt16BE(SNAPSHOT_FORMAT, MAGIC.length);
    prefix.writeUInt32BE(json.length, MAGIC.length + 2);
    createHash('sha256').update(json).update(body).digest().copy(prefix, SUM);
    return Buffer.concat([prefix, json, body]);
  }

  /** The header of whole, intact snapshot bytes, or why they are not one. */
  header(bytes: Uint8Array): SnapshotHeader | string {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (b.length < MAGIC.length || !b.subarray(0, MAGIC.length).equals(MAGIC)) return 'not a Kanshi snapshot (no magic)';
    if (b.length < PREFIX) return `truncated: ${b.length} bytes, less than the ${PREFIX} of the prefix`;
    const format = b.readUInt16BE(MAGIC.length);
    if (format !== SNAPSHOT_FORMAT) return `snapshot format ${format}, this detector reads format ${SNAPSHOT_FORMAT}`;
    const len = b.readUInt32BE(MAGIC.length + 2);
    if (PREFIX + len > b.length) return `truncated: the header says ${len} bytes, ${b.length - PREFIX} there`;
    const h = parseHeader(b.subarray(PREFIX, PREFIX + len));
    // the lengths first, so that a cut-off write says so rather than "corrupted"
    if (typeof h !== 'string' && b.length - PREFIX - len !== h.bodyBytes) return `truncated: the body should be ${h.bodyBytes} bytes, ${b.length - PREFIX - len} there`;
    if (!createHash('sha256').update(b.subarray(PREFIX)).digest().equals(b.subarray(SUM, PREFIX))) return 'corrupted: the snapshot does not match its checksum';
    return h;
  }

  /** The state back, or why not: a snapshot is never half restored. `maxBytes` bounds the unpacked body. */
  decode<T = unknown>(bytes: Uint8Array, maxBytes = 2 ** 32): Restored<T> {
    try {
      const h = this.header(bytes);
      if (typeof h === 'string') return { ok: false, reason: h };
      const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).subarray(bytes.byteLength - h.bodyBytes);
      const from = h.state ?? 1;
      if (from === this.version) {
        // the common case, refused before the body is unpacked
        const changed = layoutChange(h.layout, this.layout());
        if (changed) return { ok: false, reason: `state layout changed since the snapshot was written, under the same state version ${from} (${changed})` };
      }
      const plain = deserialize(gunzipSync(body, { maxOutputLength: maxBytes }));
      let migrated: string[] = [];
      if (from !== this.version) {
        const r = migrate(plain, from, this.version, this.migrations);
        if (typeof r === 'string') return { ok: false, reason: r };
        migrated = r.steps;
        const changed = layoutChange(layoutOf(plain), this.layout());
        if (changed) return { ok: false, reason: `state layout still differs after migrating ${from} to ${this.version} (${changed})` };
      }
      return { ok: true, state: new Reviver(this).in(plain) as T, header: h, migrated };
    } catch (e) {
      return { ok: false, reason: `does not decode: ${(e as Error).message}` };
    }
  }

  /** @internal */ classOf(proto: object): SnapshotClass | undefined {
    return this.byProto.get(proto);
  }
  /** @internal */ classNamed(name: string): SnapshotClass | undefined {
    return this.byName.get(name);
  }
  /** @internal */ externalName(v: unknown): string | undefined {
    return this.extByValue.get(v);
  }
  /** @internal */ external(name: string): { v: unknown } | undefined {
    return this.extByName.has(name) ? { v: this.extByName.get(name) } : undefined;
  }
}

function parseHeader(json: Buffer): SnapshotHeader | string {
  let h: SnapshotHeader;
  try {
    h = JSON.parse(json.toString('utf8')) as SnapshotHeader;
  } catch (e) {
    return `header is not JSON: ${(e as Error).message}`;
  }
  if (!h || typeof h !== 'object' || h.format !== SNAPSHOT_FORMAT || typeof h.bodyBytes !== 'number' || !h.layout || typeof h.layout !== 'object') return 'header lacks its fields';
  return h;
}

/** What differs between two layouts, or '' when none does. */
function layoutChange(was: Record<string, string[]>, now: Record<string, string[]>): string {
  const out: string[] = [];
  for (const [name, fields] of Object.entries(was)) {
    const cur = now[name];
    if (!cur) {
      out.push(`${name} is not known here`);
      continue;
    }
    const added = cur.filter((f) => !fields.includes(f));
    const removed = fields.filter((f) => !cur.includes(f));
    if (added.length || removed.length) out.push(`${name}:${added.map((f) => ` +${f}`).join('')}${removed.map((f) => ` -${f}`).join('')}`);
  }
  return out.join('; ');
}

/** State to plain data v8 can carry; one output per input object, so sharing survives. */
class Walker {
  private readonly seen = new Map<object, unknown>();

  constructor(private readonly codec: SnapshotCodec, private readonly layout: Record<string, string[]>) {}

  out(v: unknown, path = '$'): unknown {
    if (typeof v === 'function') {
      const ext = this.codec.externalName(v);
      if (ext === undefined) throw new SnapshotError(`${path} is a function that is not a registered external`);
      return { [EXT]: ext };
    }
    if (v === null || typeof v !== 'object') return v;
    const done = this.seen.get(v);
    if (done !== undefined) return done;
    const ext = this.codec.externalName(v);
    if (ext !== undefined) return this.keep(v, { [EXT]: ext });
    if (ArrayBuffer.isView(v)) return this.keep(v, v);
    if (Array.isArray(v)) {
      const a = this.keep(v, new Array<unknown>(v.length));
      for (let i = 0; i < v.length; i++) a[i] = this.out(v[i], path);
      return a;
    }
    if (v instanceof Map) {
      const m = this.keep(v, new Map<unknown, unknown>());
      for (const [k, x] of v) m.set(this.out(k, path), this.out(x, path));
      return m;
    }
    if (v instanceof Set) {
      const s = this.keep(v, new Set<unknown>());
      for (const x of v) s.add(this.out(x, path));
      return s;
    }
    const proto = Object.getPrototypeOf(v) as object | null;
    const fields: Record<string, unknown> = {};
    if (proto === Object.prototype || proto === null) {
      this.keep(v, fields);
      for (const k of Object.keys(v)) {
        if (k === CLASS || k === EXT) throw new SnapshotError(`${path} has a field named like the codec's tags`);
        fields[k] = this.out((v as Record<string, unknown>)[k], `${path}.${k}`);
      }
      return fields;
    }
    const c = this.codec.classOf(proto);
    if (!c) throw new SnapshotError(`${path} is a ${(proto as { constructor?: { name?: string } }).constructor?.name ?? 'class'} instance, not a registered snapshot class`);
    const keys = Object.keys(v);
    const known = this.layout[c.name];
    if (!known) this.layout[c.name] = keys;
    else if (known.length !== keys.length || keys.some((k) => !known.includes(k))) this.layout[c.name] = [...new Set([...known, ...keys])];
    const wrapped = this.keep(v, { [CLASS]: c.name, f: fields });
    for (const k of keys) fields[k] = this.out((v as Record<string, unknown>)[k], `${path}.${k}`);
    return wrapped;
  }

  private keep<T>(from: object, to: T): T {
    this.seen.set(from, to);
    return to;
  }
}

/** Plain data back to state: registered classes get their prototypes, externals their values. */
class Reviver {
  private readonly seen = new Map<object, unknown>();

  constructor(private readonly codec: SnapshotCodec) {}

  in(v: unknown): unknown {
    if (v === null || typeof v !== 'object') return v;
    const done = this.seen.get(v);
    if (done !== undefined) return done;
    if (ArrayBuffer.isView(v)) return v;
    if (Array.isArray(v)) {
      this.seen.set(v, v);
      for (let i = 0; i < v.length; i++) v[i] = this.in(v[i]);
      return v;
    }
    if (v instanceof Map) {
      const m = new Map<unknown, unknown>();
      this.seen.set(v, m);
      for (const [k, x] of v) m.set(this.in(k), this.in(x));
      return m;
    }
    if (v instanceof Set) {
      const s = new Set<unknown>();
      this.seen.set(v, s);
      for (const x of v) s.add(this.in(x));
      return s;
    }
    const o = v as Record<string, unknown>;
    if (EXT in o) {
      const ext = this.codec.external(String(o[EXT]));
      if (!ext) throw new SnapshotError(`external ${String(o[EXT])} was not supplied`);
      this.seen.set(v, ext.v);
      return ext.v;
    }
    if (CLASS in o) {
      const c = this.codec.classNamed(String(o[CLASS]));
      if (!c) throw new SnapshotError(`class ${String(o[CLASS])} is not registered`);
      const target = Object.create(c.cls.prototype as object) as Record<string, unknown>;
      this.seen.set(v, target);
      const f = o.f as Record<string, unknown>;
      for (const k of Object.keys(f)) target[k] = this.in(f[k]);
      return target;
    }
    this.seen.set(v, v);
    for (const k of Object.keys(o)) o[k] = this.in(o[k]);
    return o;
  }
}
