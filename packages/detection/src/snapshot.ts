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
import { EMPTY, HourHistograms } from './profile.js';
import { ReferenceData } from './reference.js';
import { EventTimeReorderBuffer } from './reorder.js';
import { SellRun } from './sell-run.js';
import { SymbolStage, SymbolState } from './symbol-stage.js';
import { DEFAULT_DETECTION_CONFIG } from './config.js';
import { Reviver, SnapshotError, Walker, type SnapshotClassLookup } from './snapshot-walk.js';
import { DETECTION_MIGRATIONS, DETECTION_STATE_VERSION, expandPacked, layoutOf, migrate, type SnapshotMigration } from './snapshot-migrations.js';

export { SnapshotError };

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

export class SnapshotCodec implements SnapshotClassLookup {
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
    // the profiles' shared empty list is named: packed accounts would each get a copy otherwise
    for (const [name, v] of Object.entries({ byTs, byEventId, emptyList: EMPTY, ...o.externals })) {
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
    const walker = new Walker(this, layout);
    const plain = walker.out(state);
    walker.checkPacked();
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
        // a migration sees every instance: packed values are unpacked first, and revived at once
        expandPacked(plain, (b) => deserialize(b));
        const r = migrate(plain, from, this.version, this.migrations);
        if (typeof r === 'string') return { ok: false, reason: r };
        migrated = r.steps;
        const changed = layoutChange(layoutOf(plain), this.layout());
        if (changed) return { ok: false, reason: `state layout still differs after migrating ${from} to ${this.version} (${changed})` };
      }
      return { ok: true, state: new Reviver(this, h.layout).in(plain) as T, header: h, migrated };
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
