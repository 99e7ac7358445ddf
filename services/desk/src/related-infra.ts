/**
 * Related findings by shared infrastructure, outside a campaign (the alert view): the other
 * findings whose evidence logins came from the alert's evidence logins' device, IP /24 (IPv6
 * /48), or ASN within a /16 (/32), by another account, within a day of the alert (a scan of
 * that window's logins: events_raw has no login columns to index). A residential
 * ASN alone is shared by millions, so an ASN counts only inside its wider prefix. Bounded: a
 * few probes, one window, LIMITs in the store.
 */
import type { Finding, LoginEvent } from '@kanshi/contract';
import type { DeskStore, InfraProbe } from '@kanshi/store';

const DAY = 86_400_000;
/** how far either side of the alert a shared login or a finding counts */
export const RELATED_INFRA_MS = DAY;
const MAX_LOGINS = 2000;
const MAX_FINDINGS = 50;

/** The address's /24 (`1.2.3.`) and /16 (`1.2.`), or /48 and /32 for IPv6 written out; null for anything else. */
export function prefixesOf(ip: string): { narrow: string; wide: string; narrowLabel: string; wideLabel: string } | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4) return { narrow: `${v4[1]}.${v4[2]}.${v4[3]}.`, wide: `${v4[1]}.${v4[2]}.`, narrowLabel: `${v4[1]}.${v4[2]}.${v4[3]}.0/24`, wideLabel: `${v4[1]}.${v4[2]}.0.0/16` };
  const v6 = /^([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4}):/i.exec(ip);
  if (v6) return { narrow: `${v6[1]}:${v6[2]}:${v6[3]}:`, wide: `${v6[1]}:${v6[2]}:`, narrowLabel: `${v6[1]}:${v6[2]}:${v6[3]}::/48`, wideLabel: `${v6[1]}:${v6[2]}::/32` };
  return null;
}

export function infraProbe(logins: readonly LoginEvent[]): InfraProbe {
  const devices = new Set<string>();
  const prefixes = new Set<string>();
  const asnPrefixes = new Map<string, { asn: number; prefix: string }>();
  for (const l of logins) {
    if (l.deviceId) devices.add(l.deviceId);
    const p = prefixesOf(l.ip);
    if (p) prefixes.add(p.narrow);
    if (p && typeof l.asn === 'number') asnPrefixes.set(`${l.asn} ${p.wide}`, { asn: l.asn, prefix: p.wide });
  }
  return { devices: [...devices], prefixes: [...prefixes], asnPrefixes: [...asnPrefixes.values()] };
}

/** What a login shares with the probed ones, in words: `device d`, `IP prefix 1.2.3.0/24`, `AS1 in 1.2.0.0/16`. */
export function sharedBy(probed: readonly LoginEvent[], other: LoginEvent): string[] {
  const out = new Set<string>();
  const o = prefixesOf(other.ip);
  for (const l of probed) {
    const p = prefixesOf(l.ip);
    if (l.deviceId && l.deviceId === other.deviceId) out.add(`device ${l.deviceId}`);
    if (p && o && p.narrow === o.narrow) out.add(`IP prefix ${p.narrowLabel}`);
    else if (p && o && typeof l.asn === 'number' && l.asn === other.asn && p.wide === o.wide) out.add(`AS${l.asn} in ${p.wideLabel}`);
  }
  return [...out];
}

export interface InfraRelated {
  finding: Finding;
  /** what its evidence logins share with the alert's, each named */
  shared: string[];
  /** the other accounts that logged in so */
  accounts: string[];
}

export type InfraSource = Pick<DeskStore, 'sharedInfraLogins' | 'findingsWithEvidence'>;

/**
 * Findings other than `findingId` whose evidence names a login by another account than
 * `ownAccounts` sharing the `evidence` logins' infrastructure, around `at`.
 */
export async function relatedByInfrastructure(desk: InfraSource, findingId: string, ownAccounts: readonly string[], evidence: readonly LoginEvent[], at: number): Promise<InfraRelated[]> {
  if (!evidence.length) return [];
  const from = at - RELATED_INFRA_MS;
  const to = at + RELATED_INFRA_MS;
  const own = new Set(ownAccounts);
  const logins = (await desk.sharedInfraLogins(infraProbe(evidence), from, to, MAX_LOGINS)).filter((l) => !own.has(l.accountId));
  const byId = new Map(logins.map((l) => [l.eventId, l]));
  const findings = await desk.findingsWithEvidence([...byId.keys()], from, to, MAX_FINDINGS + 1);
  return findings.filter((f) => f.findingId !== findingId).slice(0, MAX_FINDINGS).map((finding) => {
    const theirs = finding.evidence.map((id) => byId.get(id)).filter((l): l is LoginEvent => l !== undefined);
    return { finding, shared: [...new Set(theirs.flatMap((l) => sharedBy(evidence, l)))], accounts: [...new Set(theirs.map((l) => l.accountId))] };
  }).filter((r) => r.shared.length > 0);
}
