/**
 * The desk's account reads beyond the timeline: an account's snapshot (its positions, for the
 * holdings chart) and the logins and findings that share an alert's infrastructure. Every value
 * reaches SQL through sql.ts; every read is bounded (LIMIT, a time window).
 */
import type { AccountSnapshot, Finding, LoginEvent } from '@kanshi/contract';
import { FINDING_COLUMNS, toFinding } from './rows.js';
import { sqlNumber, sqlString, sqlStringArray, splitMillis } from './sql.js';

type Rows = <T>(operation: string, query: string) => Promise<T[]>;
type Insert = (table: string, values: Record<string, unknown>[]) => Promise<void>;

/** What to look for in other logins: devices, address prefixes (`1.2.3.`, `2001:db8:1:`), an ASN within a wider prefix. */
export interface InfraProbe {
  devices: string[];
  prefixes: string[];
  asnPrefixes: { asn: number; prefix: string }[];
}

/** A prefix as the desk builds it: digits and dots, or hex digits and colons, ending at a separator. */
const SAFE_PREFIX = /^(?:[0-9]{1,3}\.){1,3}$|^(?:[0-9a-f]{1,4}:){1,4}$/i;
const MAX_PROBES = 20;
const dt = (ms: number) => `toDateTime(${sqlNumber(splitMillis(ms).seconds)}, 'UTC')`;
const ipLike = (prefix: string) => `visitParamExtractString(payload, 'ip') LIKE ${sqlString(`${prefix}%`)}`;

export function writeAccountSnapshots(insert: Insert, snapshots: AccountSnapshot[], at: number): Promise<void> {
  const t = splitMillis(at);
  return insert('account_snapshots', snapshots.map((s) => ({ account_id: s.accountId, payload: JSON.stringify(s), written_at: t.seconds, written_ms: t.millis })));
}

/** The newest snapshot of an account, or null (none written yet). No FINAL: the newest row is the snapshot. */
export async function accountSnapshot(db: string, rows: Rows, accountId: string): Promise<AccountSnapshot | null> {
  const [r] = await rows<{ payload: string }>('read account snapshot', `SELECT payload FROM ${db}.account_snapshots
    WHERE account_id = ${sqlString(accountId)} ORDER BY written_at DESC, written_ms DESC LIMIT 1`);
  return r ? (JSON.parse(r.payload) as AccountSnapshot) : null;
}

/**
 * Logins in [from, to] from a probed device, prefix, or ASN within its wider prefix, at most
 * `limit`, deduplicated by event id (no FINAL: a re-archived login is the same event). A prefix
 * that is not one the desk builds is left out, never passed on.
 */
export async function sharedInfraLogins(db: string, rows: Rows, probe: InfraProbe, from: number, to: number, limit: number): Promise<LoginEvent[]> {
  const prefixes = probe.prefixes.filter((p) => SAFE_PREFIX.test(p)).slice(0, MAX_PROBES);
  const asnPrefixes = probe.asnPrefixes.filter((a) => Number.isInteger(a.asn) && a.asn >= 0 && SAFE_PREFIX.test(a.prefix)).slice(0, MAX_PROBES);
  const devices = probe.devices.filter((d) => d !== '').slice(0, MAX_PROBES);
  const any = [
    ...(devices.length ? [`visitParamExtractString(payload, 'deviceId') IN (${devices.map(sqlString).join(', ')})`] : []),
    ...prefixes.map(ipLike),
    ...asnPrefixes.map((a) => `(visitParamExtractUInt(payload, 'asn') = ${sqlNumber(a.asn)} AND ${ipLike(a.prefix)})`),
  ];
  if (any.length === 0) return [];
  const found = await rows<{ payload: string }>('read shared-infrastructure logins', `SELECT payload FROM ${db}.events_raw
    WHERE type = 'login' AND ts >= ${dt(from)} AND ts <= ${dt(to)} AND (${any.join(' OR ')}) LIMIT ${sqlNumber(Math.max(1, Math.min(limit, 10_000)))}`);
  const byId = new Map<string, LoginEvent>();
  for (const r of found) {
    const e = JSON.parse(r.payload) as LoginEvent;
    byId.set(e.eventId, e);
  }
  return [...byId.values()];
}

/** Findings detected in [from, to] whose evidence names one of `eventIds`, oldest first, at most `limit`. */
export async function findingsWithEvidence(db: string, rows: Rows, eventIds: string[], from: number, to: number, limit: number): Promise<Finding[]> {
  if (eventIds.length === 0) return [];
  const found = await rows<Record<string, unknown>>('read findings by evidence', `SELECT ${FINDING_COLUMNS} FROM ${db}.findings FINAL
    WHERE detected_at >= ${dt(from)} AND detected_at <= ${dt(to)} AND hasAny(evidence, ${sqlStringArray(eventIds.slice(0, 2000))})
    ORDER BY detected, finding_id LIMIT ${sqlNumber(Math.max(1, Math.min(limit, 500)))}`);
  return found.map(toFinding);
}
