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

/** The state layout version this code writes and reads. */
export const DETECTION_STATE_VERSION = 2;

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
];

/** A decoded snapshot as a migration sees it. */
export interface MigratingState {
  /** calls `fn` with the fields of every instance of class `name` (writable) */
  each(name: string, fn: (fields: Record<string, unknown>) => void): void;
}

/** Every class instance of a plain graph, each once: its class name and fields. */
export function visitInstances(root: unknown, fn: (name: string, fields: Record<string, unknown>) => void): void {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) stack.push(...v);
    else if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (v instanceof Set) stack.push(...v);
    else {
      const o = v as Record<string, unknown>;
      if (CLASS in o) {
        const f = o.f as Record<string, unknown>;
        fn(String(o[CLASS]), f);
        stack.push(...Object.values(f));
      } else if (!(EXT in o)) {
        stack.push(...Object.values(o));
      }
    }
  }
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
