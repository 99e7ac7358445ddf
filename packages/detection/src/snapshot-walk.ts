/**
 * The walk between state and the plain data node:v8 carries, both ways (snapshot.ts is the
 * container around it): registered classes by name, externals by name, a PackedMap's values
 * (packed-map.ts) serialized one by one.
 */
import { deserialize, serialize } from 'node:v8';
import { PackedMap } from './packed-map.js';
import { ANCHOR, CLASS, EXT, PACKED } from './snapshot-migrations.js';
import type { SnapshotClass } from './snapshot.js';

/** A programming error: the state holds something the codec cannot carry (an unregistered class, a closure). */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

/** What the walk needs of the codec: its registered classes and externals. */
export interface SnapshotClassLookup {
  classOf(proto: object): SnapshotClass | undefined;
  classNamed(name: string): SnapshotClass | undefined;
  externalName(v: unknown): string | undefined;
  external(name: string): { v: unknown } | undefined;
}

/**
 * State to plain data v8 can carry; one output per input object, so sharing survives. A
 * PackedMap's values are walked one by one by walkers of their own (`anchors` set), each
 * serialized apart: an object one of them shares with another or with the rest is refused.
 */
export class Walker {
  private readonly seen = new Map<object, unknown>();

  constructor(
    private readonly codec: SnapshotClassLookup, private readonly layout: Record<string, string[]>,
    /** every object a packed value's walker has met */
    private readonly packedObjects = new Set<object>(),
    private readonly anchors: Map<object, number> | null = null,
  ) {}

  /** the path of the object being kept, for the error naming a shared one */
  private at = '$';

  out(v: unknown, path = '$'): unknown {
    this.at = path;
    if (typeof v === 'function') {
      const ext = this.codec.externalName(v);
      if (ext === undefined) throw new SnapshotError(`${path} is a function that is not a registered external`);
      return { [EXT]: ext };
    }
    if (v === null || typeof v !== 'object') return v;
    const anchor = this.anchors?.get(v);
    if (anchor !== undefined) return { [ANCHOR]: anchor };
    const done = this.seen.get(v);
    if (done !== undefined) return done;
    if (v instanceof PackedMap) return this.packed(v as PackedMap<unknown, unknown>, path);
    const ext = this.codec.externalName(v);
    // named, not copied: packed values may all name the same one
    if (ext !== undefined) return this.anchors ? { [EXT]: ext } : this.keep(v, { [EXT]: ext });
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
    if (this.anchors) {
      if (this.packedObjects.has(from)) throw new SnapshotError(`${(from as object).constructor?.name ?? 'an object'} at ${this.at} is shared by two values of a packed map: name it an anchor`);
      this.packedObjects.add(from);
    }
    this.seen.set(from, to);
    return to;
  }

  /** Each value's v8 bytes one after another; untouched values as the bytes they came in. */
  private packed(v: PackedMap<unknown, unknown>, path: string): unknown {
    const node: Record<string, unknown> = this.keep(v, { [PACKED]: 1 });
    node.anchors = this.out(v.anchors, `${path}.anchors`);
    const keys: unknown[] = [];
    const parts: Uint8Array[] = [];
    for (const [k, bytes] of v.packedEntries()) {
      keys.push(k);
      parts.push(bytes);
    }
    // their classes' fields as the restored snapshot had them: this code's, or it was refused
    for (const [name, fields] of Object.entries(v.layoutOfPacked ?? {})) this.layout[name] = [...new Set([...(this.layout[name] ?? []), ...fields])];
    const anchors = new Map(v.anchors.map((a, i) => [a, i]));
    for (const [k, x] of v.liveEntries()) {
      if (k !== null && typeof k === 'object') throw new SnapshotError(`${path} has a key that is an object: a packed map's keys are plain values`);
      keys.push(k);
      parts.push(serialize(new Walker(this.codec, this.layout, this.packedObjects, anchors).out(x, `${path}[${String(k)}]`)));
    }
    const ends = new Uint32Array(parts.length);
    let at = 0;
    parts.forEach((p, i) => { at += p.length; ends[i] = at; });
    node.keys = keys;
    node.ends = ends;
    node.data = Buffer.concat(parts);
    return node;
  }

  /** After the walk: nothing the packed values hold is held by the rest of the state too. */
  checkPacked(): void {
    if (this.packedObjects.size === 0) return;
    for (const o of this.seen.keys()) {
      if (this.packedObjects.has(o)) throw new SnapshotError(`${o.constructor?.name ?? 'an object'} is held by a packed map's value and by the rest of the state: name it an anchor`);
    }
  }
}

/** Plain data back to state: registered classes get their prototypes, externals their values. */
export class Reviver {
  private readonly seen = new Map<object, unknown>();

  /** `layout`: the snapshot's, `anchors`: inside a packed value, its map's */
  constructor(private readonly codec: SnapshotClassLookup, private readonly layout: Record<string, string[]>, private readonly anchors: readonly object[] | null = null) {}

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
    if (ANCHOR in o) {
      const a = this.anchors?.[Number(o[ANCHOR])];
      if (a === undefined) throw new SnapshotError('an anchor mark outside a packed value, or of no anchor');
      return a;
    }
    if (PACKED in o) return this.packed(o);
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

  /** A PackedMap: its values unpacked on first use, or now when a migration expanded them. */
  private packed(o: Record<string, unknown>): PackedMap<unknown, unknown> {
    const anchors = this.in(o.anchors);
    if (!Array.isArray(anchors)) throw new SnapshotError('a packed map without its anchors');
    if (o.values instanceof Map) {
      const m = new PackedMap<unknown, unknown>(anchors as object[]);
      this.seen.set(o, m);
      for (const [k, x] of o.values) m.set(k, this.in(x));
      return m;
    }
    const { keys, ends, data } = o;
    if (!Array.isArray(keys) || !(ends instanceof Uint32Array) || !(data instanceof Uint8Array) || ends.length !== keys.length || (ends.length ? ends[ends.length - 1] : 0) !== data.length) {
      throw new SnapshotError('a packed map whose keys and bytes do not agree');
    }
    const codec = this.codec, layout = this.layout;
    const m = PackedMap.packed<unknown, unknown>(anchors as object[], keys, ends, data, (b) => new Reviver(codec, layout, anchors as object[]).in(deserialize(b)), layout);
    this.seen.set(o, m);
    return m;
  }
}
