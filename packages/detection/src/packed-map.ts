/**
 * A map of per-key state (stage 1's accounts) that a snapshot carries packed value by value,
 * and that a restore revives one value at a time, when its key is first asked for.
 *
 * Why: decoding a stage-1 snapshot was most of a restart, and it grew with the state (an
 * account's profile fills up over weeks), although a restarted detector touches few accounts
 * before it is caught up. Packed, a restore is unpacking the body and indexing the keys; each
 * account is decoded on its first event, by the same codec, into the same state an eager decode
 * would have made. A value not touched since the restore is written to the next snapshot as the
 * bytes it came in.
 *
 * What a value may share with the rest of the state is named up front (`anchors`: the stage's
 * shared hour histograms); anything else shared across values or with the rest is refused by
 * the codec when it writes the snapshot (snapshot.ts), since packing each value on its own would
 * split it in two.
 */
export class PackedMap<K, V> {
  private readonly live = new Map<K, V>();
  /** the untouched packed values: key to their place in `data` (see snapshot.ts) */
  private packed: Map<K, number> | null = null;
  private data: Uint8Array | null = null;
  private ends: Uint32Array | null = null;
  private unpack: ((bytes: Uint8Array) => V) | null = null;
  /** the field names per class the packed values were written with (the restored snapshot's) */
  private packedLayout: Record<string, string[]> | null = null;

  constructor(readonly anchors: readonly object[] = []) {}

  get(key: K): V | undefined {
    const v = this.live.get(key);
    if (v !== undefined || this.packed === null) return v;
    const i = this.packed.get(key);
    if (i === undefined) return undefined;
    const revived = this.unpack!(this.bytesAt(i));
    this.packed.delete(key);
    this.live.set(key, revived);
    if (this.packed.size === 0) this.release();
    return revived;
  }

  set(key: K, value: V): void {
    if (this.packed?.delete(key) && this.packed.size === 0) this.release();
    this.live.set(key, value);
  }

  /** every value revived: the restored body can go */
  private release(): void {
    this.packed = null;
    this.data = null;
    this.ends = null;
    this.unpack = null;
    this.packedLayout = null;
  }

  get size(): number {
    return this.live.size + (this.packed?.size ?? 0);
  }

  /** How many values are still packed (not asked for since the restore). */
  get stillPacked(): number {
    return this.packed?.size ?? 0;
  }

  private bytesAt(i: number): Uint8Array {
    return this.data!.subarray(i === 0 ? 0 : this.ends![i - 1], this.ends![i]);
  }

  /** @internal the codec's: the values revived or set since the restore */
  liveEntries(): IterableIterator<[K, V]> {
    return this.live.entries();
  }

  /** @internal the codec's: the untouched values, as their packed bytes */
  *packedEntries(): Generator<[K, Uint8Array]> {
    if (this.packed === null) return;
    for (const [k, i] of this.packed) yield [k, this.bytesAt(i)];
  }

  /** @internal the codec's */
  get layoutOfPacked(): Record<string, string[]> | null {
    return this.packedLayout;
  }

  /** @internal the codec's: a map restored with its values packed */
  static packed<K, V>(anchors: readonly object[], keys: readonly K[], ends: Uint32Array, data: Uint8Array, unpack: (bytes: Uint8Array) => V, layout: Record<string, string[]>): PackedMap<K, V> {
    const m = new PackedMap<K, V>(anchors);
    m.packed = new Map(keys.map((k, i) => [k, i]));
    m.data = data;
    m.ends = ends;
    m.unpack = unpack;
    m.packedLayout = layout;
    return m;
  }
}
