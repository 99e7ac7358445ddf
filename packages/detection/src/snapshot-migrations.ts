/**
 * Versioned snapshot state: the layout of the classes a snapshot holds has a number
 * (DETECTION_STATE_VERSION), and a change to it is a decision, not an accident. Whoever changes
 * the fields of a snapshot class (detection's or the detector's tasks) bumps the number and
 * either registers a migration from the old number here, or registers none: then a snapshot of
 * the old layout is refused with that reason and the partition is rebuilt from the log. Both
 * outcomes are logged by the detector, saying which and why. snapshot.test.ts pins the layout
 * to the number, so a change without a bump fails a test rather than a restart.
 *
 * A migration works on the decoded graph before it is revived: each class instance is its
 * fields, reached through `each`. It may refuse (return a reason) when the old state lacks
 * what the new layout needs and only the log has it.
 */

/** The tags a snapshot's plain graph marks class instances and externals with. */
export const CLASS = '\u0000class';
export const EXT = '\u0000ext';
/** a PackedMap (packed-map.ts): `anchors`, then `keys`, `ends` and `data` (each value's v8 bytes), or `values` once expanded */
export const PACKED = '\u0000packed';
/** inside a packed value: the PackedMap's anchor of this index */
export const ANCHOR = '\u0000anchor';

/** The state layout version this code writes and reads. */
export const DETECTION_STATE_VERSION = 4;

/** One step: version `from` to `from + 1`. */
export interface SnapshotMigration {
  from: number;
  /** what changed, for the log line */
  what: string;
  /** rewrites the instances in place; a string is why this state cannot be migrated (it is rebuilt) */
  migrate(state: MigratingState): string | undefined;
}

/** The registry: one step per layout change that old state can be carried across. */
export const DETECTION_MIGRATIONS: readonly SnapshotMigration[] = [
  {
    from: 1,
    what: 'Incident gains controlOnly (incidents a control change opened); every incident of version 1 was opened by a login or by trading',
    migrate(state) {
      state.each('Incident', (f) => {
        f.controlOnly = false;
      });
      return undefined;
    },
  },
  {
    from: 2,
    what: 'AccountStage.accounts becomes a PackedMap (each account packed on its own, revived on its first event): the same accounts, the stage\'s hour histograms its anchor',
    migrate(state) {
      state.each('AccountStage', (f) => {
        if (!(f.accounts instanceof Map)) return;
        f.accounts = { [PACKED]: 1, anchors: [f.hours], values: f.accounts };
      });
      // the profiles' one empty list came back as one array all of them shared; packed apart they
      // may share nothing but their anchors, so it is named again (the codec's emptyList)
      const holders = new Map<unknown[], number>();
      const empties = (f: Record<string, unknown>) => Object.entries(f).filter((e): e is [string, unknown[]] => Array.isArray(e[1]) && e[1].length === 0);
      state.each('AccountState', (f) => { for (const [, a] of empties(f)) holders.set(a, (holders.get(a) ?? 0) + 1); });
      state.each('AccountState', (f) => {
        for (const [k, a] of empties(f)) if ((holders.get(a) ?? 0) > 1) f[k] = { [EXT]: 'emptyList' };
      });
      return undefined;
    },
  },
  {
    from: 3,
    what: 'SymbolState gains exits (buyers who sold first through a range new to them) and CampaignWindow byExit; AccountTask gains covers (the other streams\' log ends a caught-up report vouched for). A version-3 symbol has seen no such buyer and none of its campaigns was made by one; a version-3 task\'s caught-up streams came without covers and vouch for all, as they did',
    migrate(state) {
      state.each('CampaignWindow', (f) => {
        f.byExit = false;
      });
      state.each('SymbolState', (f) => {
        f.exits = {
          [CLASS]: 'CampaignWindow',
          f: { id: '', start: Number.POSITIVE_INFINITY, lastMemberTs: 0, refPrice: 0, buyJpy: 0, emittedMembers: 0, slow: false, inflow: false, byExit: false, confirmed: false, members: new Map(), beneficiaries: new Map() },
        };
      });
      state.each('AccountTask', (f) => {
        f.covers = new Map();
      });
      return undefined;
    },
  },
];

/** A decoded snapshot as a migration sees it. */
export interface MigratingState {
  /** calls `fn` with the fields of every instance of class `name` (writable) */
  each(name: string, fn: (fields: Record<string, unknown>) => void): void;
}

/**
 * A plain graph's packed values unpacked in place (`values`, a Map of plain values, their anchor
 * marks replaced by the anchors themselves), so that a migration and layoutOf see inside them.
 */
export function expandPacked(root: unknown, unpack: (bytes: Uint8Array) => unknown): void {
  const nodes: Record<string, unknown>[] = [];
  visitPlain(root, (o) => { if (PACKED in o) nodes.push(o); });
  for (const n of nodes) {
    if (n.values instanceof Map) continue;
    const keys = n.keys as unknown[], ends = n.ends as Uint32Array, data = n.data as Uint8Array, anchors = n.anchors as unknown[];
    const values = new Map<unknown, unknown>();
    keys.forEach((k, i) => values.set(k, unmark(unpack(data.subarray(i === 0 ? 0 : ends[i - 1], ends[i])), anchors)));
    delete n.keys;
    delete n.ends;
    delete n.data;
    n.values = values;
  }
}

/** A packed value with its anchor marks replaced by the anchors. */
function unmark(v: unknown, anchors: readonly unknown[], seen = new Set<object>()): unknown {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
  const o = v as Record<string, unknown>;
  if (!Array.isArray(v) && !(v instanceof Map) && !(v instanceof Set) && ANCHOR in o) return anchors[Number(o[ANCHOR])];
  if (seen.has(v)) return v;
  seen.add(v);
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = unmark(v[i], anchors, seen);
  else if (v instanceof Map) for (const [k, x] of v) v.set(k, unmark(x, anchors, seen));
  else if (v instanceof Set) return v;
  else for (const k of Object.keys(o)) o[k] = unmark(o[k], anchors, seen);
  return v;
}

/** Every plain object (not an array, Map or Set) of a graph, each once. */
function visitPlain(root: unknown, fn: (o: Record<string, unknown>) => void): void {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) continue;
    seen.add(v);
    // one by one: a spread of a long array (a dedupe window) would pass the argument limit
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (v instanceof Set) for (const x of v) stack.push(x);
    else {
      fn(v as Record<string, unknown>);
      for (const x of Object.values(v)) stack.push(x);
    }
  }
}

/** Every class instance of a plain graph, each once: its class name and fields. */
export function visitInstances(root: unknown, fn: (name: string, fields: Record<string, unknown>) => void): void {
  visitPlain(root, (o) => { if (CLASS in o) fn(String(o[CLASS]), o.f as Record<string, unknown>); });
}

/** The field names per class found in a plain graph (sorted), as a header records them. */
export function layoutOf(root: unknown): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  visitInstances(root, (name, f) => {
    out[name] ??= new Set();
    for (const k of Object.keys(f)) out[name].add(k);
  });
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

/**
 * Applies the steps from `from` up to `to`, or says why not. The caller compares the layout
 * after them with its own: a migration that forgot a field is refused, not restored half-right.
 */
export function migrate(root: unknown, from: number, to: number, registry: ReadonlyMap<number, SnapshotMigration>): { steps: string[] } | string {
  if (from > to) return `state version ${from} is newer than this detector's ${to}`;
  const steps: string[] = [];
  const view: MigratingState = {
    each: (name, fn) => visitInstances(root, (n, f) => { if (n === name) fn(f); }),
  };
  for (let v = from; v < to; v++) {
    const m = registry.get(v);
    if (!m) return `state version ${from}, this detector's is ${to}, and no migration from ${v} to ${v + 1} is registered`;
    const why = m.migrate(view);
    if (typeof why === 'string') return `the migration from ${v} to ${v + 1} (${m.what}) cannot take this state: ${why}`;
    steps.push(`${v}->${v + 1}: ${m.what}`);
  }
  return { steps };
}
