import type { DetectionConfig } from './config.js';
import type { TradeSignal } from './signals.js';

export interface Member {
  accountId: string;
  firstTs: number;
  lastTs: number;
  risk: number;
  buyJpy: number;
  eventIds: string[];
  device: number;
  network: number;
  asn: number;
  /** the member's session came through an exit new to it (TradeSignal.novelExit) */
  novelExit?: boolean;
  /** the member's buy spent what it had just sold (TradeSignal.fundedBySale) */
  fundedBySale?: boolean;
  /** named from the symbol's buyers who sold and came through a new range, once the campaign was established (CampaignWindow.adopt) */
  adopted?: boolean;
}

/** Risky accounts buying one symbol close together in event time: a campaign once it qualifies. */
export class CampaignWindow {
  id = '';
  start = Number.POSITIVE_INFINITY;
  lastMemberTs = 0;
  refPrice = 0;
  buyJpy = 0;
  emittedMembers = 0;
  /** qualified as a slow campaign (members over days) */
  slow = false;
  /** qualified on an inflow of suspects (open incidents, each too weak to be a member) */
  inflow = false;
  /** qualified on accounts that sold and bought through one exit new to each of them */
  byExit = false;
  /** the price has risen by the pump's measure since the campaign began: later waves join it */
  confirmed = false;
  readonly members = new Map<string, Member>();
  /** beneficiary accountId -> last score emitted */
  readonly beneficiaries = new Map<string, number>();

  addMember(t: TradeSignal): void {
    const m = this.members.get(t.accountId);
    if (m) {
      m.lastTs = Math.max(m.lastTs, t.ts);
      m.risk = Math.max(m.risk, t.accountRisk);
      m.buyJpy += t.valueJpy;
      if (t.fundedBySale) m.fundedBySale = true;
      if (m.eventIds.length < 4) m.eventIds.push(t.eventId);
    } else {
      this.members.set(t.accountId, {
        accountId: t.accountId, firstTs: t.ts, lastTs: t.ts, risk: t.accountRisk, buyJpy: t.valueJpy,
        eventIds: [t.eventId], device: t.device, network: t.network, asn: t.asn, ...(t.novelExit ? { novelExit: true } : {}),
        ...(t.fundedBySale ? { fundedBySale: true } : {}),
      });
    }
    this.start = Math.min(this.start, t.ts);
    this.lastMemberTs = Math.max(this.lastMemberTs, t.ts);
    this.buyJpy += t.valueJpy;
  }

  /** Names `m` with this campaign as it was seen in another window (a buyer from before it formed). */
  adopt(m: Member): void {
    if (this.members.has(m.accountId)) return;
    // the campaign's start stays its own: what it is measured from (price, sellers) does not move
    this.members.set(m.accountId, { ...m, eventIds: [...m.eventIds], adopted: true });
    this.lastMemberTs = Math.max(this.lastMemberTs, m.lastTs);
    this.buyJpy += m.buyJpy;
  }

  /** The networks at least `min` of the active members came through, each new to them. */
  sharedExits(ts: number, windowMs: number, min: number): number[] {
    const by = new Map<number, number>();
    for (const m of this.activeMembers(ts, windowMs)) if (m.network && m.novelExit) by.set(m.network, (by.get(m.network) ?? 0) + 1);
    return [...by].filter(([, n]) => n >= min).map(([k]) => k).sort((a, b) => a - b);
  }

  /** Moves the members `keep` refuses to a window of their own (a campaign made of one exit's accounts keeps those). */
  retain(keep: (m: Member) => boolean): CampaignWindow {
    const rest = new CampaignWindow();
    for (const [k, m] of this.members) {
      if (keep(m)) continue;
      this.members.delete(k);
      this.buyJpy -= m.buyJpy;
      rest.members.set(k, m);
      rest.start = Math.min(rest.start, m.firstTs);
      rest.lastMemberTs = Math.max(rest.lastMemberTs, m.lastTs);
      rest.buyJpy += m.buyJpy;
    }
    this.start = Math.min(...[...this.members.values()].map((m) => m.firstTs));
    this.lastMemberTs = Math.max(...[...this.members.values()].map((m) => m.lastTs));
    return rest;
  }

  activeMembers(ts: number, windowMs: number): Member[] {
    return [...this.members.values()].filter((m) => ts - m.lastTs <= windowMs);
  }

  /** Forget members that fell out of the window before the campaign qualified. */
  expire(ts: number, windowMs: number): void {
    for (const [k, m] of this.members) {
      if (ts - m.lastTs > windowMs) {
        this.members.delete(k);
        this.buyJpy -= m.buyJpy;
      }
    }
    if (this.members.size === 0) {
      this.start = Number.POSITIVE_INFINITY;
      this.buyJpy = 0;
    } else {
      this.start = Math.min(...[...this.members.values()].map((m) => m.firstTs));
    }
  }

  /** Whether a trade at `ts` still belongs to this campaign. */
  covers(ts: number, cfg: DetectionConfig): boolean {
    return ts - this.lastMemberTs <= Math.max(cfg.campaignWindowMs, cfg.beneficiaryAfterMs);
  }

  /** Whether a risky buy at `ts` joins this campaign: the symbol stays watched after its last member. */
  watches(ts: number, cfg: DetectionConfig): boolean {
    return ts - this.lastMemberTs <= Math.max(cfg.campaignWindowMs, cfg.beneficiaryAfterMs, cfg.campaignWatchMs);
  }

  /**
   * Accounts sharing a device or a network with another member. Only a shared device fingerprint
   * is an operator's mark (`devicePairs`): an IP range is shared by an office, a cloud web proxy or
   * a carrier's NAT as readily as by an attacker's proxy.
   */
  sharedInfrastructure(members: Iterable<Member> = this.members.values()): { pairs: number; devicePairs: number; newExitPairs: number; newExitAccounts: number; accounts: number; what: string[] } {
    const byKey = new Map<string, string[]>();
    // an exit new to each of them: an office or a home is a network its people already use
    const byNewExit = new Map<string, string[]>();
    for (const m of members) {
      if (m.device) push(byKey, `device:${m.device}`, m.accountId);
      if (m.network) push(byKey, `network:${m.network}`, m.accountId);
      if (m.network && m.novelExit) push(byNewExit, String(m.network), m.accountId);
    }
    let pairs = 0, devicePairs = 0;
    const accounts = new Set<string>();
    const what = new Set<string>();
    for (const [k, ids] of byKey) {
      if (ids.length < 2) continue;
      pairs += pairsOf(ids);
      if (k.startsWith('device')) devicePairs += pairsOf(ids);
      for (const id of ids) accounts.add(id);
      what.add(k.startsWith('device') ? 'same device fingerprint' : 'same IP range');
    }
    const shared = [...byNewExit.values()].filter((ids) => ids.length >= 2);
    const newExitPairs = shared.reduce((n, ids) => n + pairsOf(ids), 0);
    const newExitAccounts = new Set(shared.flat()).size;
    return { pairs, devicePairs, newExitPairs, newExitAccounts, accounts: accounts.size, what: [...what].sort() };
  }
}

/** pairs among the accounts sharing one key */
const pairsOf = (ids: string[]) => (ids.length * (ids.length - 1)) / 2;

function push(m: Map<string, string[]>, k: string, v: string): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
