import type { Finding } from '@kanshi/contract';
import type { DetectionConfig } from './config.js';
import { deterministicId } from './ids.js';
import { homeDay } from './profile.js';
import type { ReferenceData } from './reference.js';
import { impactOfJpy, minSeverity, noisyOr, pct, ramp, riskScore, round3, severityOf, yen } from './scoring.js';
import type { TradeSignal } from './signals.js';
import { CampaignWindow, type Member } from './campaign.js';
import { SymbolState } from './symbol-state.js';

export { SymbolState };

/** Stage 2, keyed by symbol: many risky accounts buying one thin stock, and who sells into it. */
export class SymbolStage {
  private readonly symbols = new Map<string, SymbolState>();

  constructor(private readonly ref: ReferenceData, private readonly cfg: DetectionConfig) {}

  get symbolCount(): number {
    return this.symbols.size;
  }

  process(t: TradeSignal, out: Finding[]): void {
    let s = this.symbols.get(t.symbol);
    if (!s) {
      s = new SymbolState(t.symbol);
      this.symbols.set(t.symbol, s);
    }
    s.expire(t.ts, this.cfg);
    const filled = t.fillQuantity > 0 && t.price !== null;
    if (filled) s.notePrice(t.ts, t.price!);
    if (t.side === 'buy') {
      if (filled && t.accountRisk < this.cfg.campaignMemberRisk) s.noteAccumulation(t);
      if (t.status === 'new' || t.status === 'amended') this.onBuyOrder(s, t, out);
    } else {
      s.noteSell(t, this.ref.instrument(t.symbol)?.fxToJpy ?? 1);
      const c = s.campaign;
      if (c && c.covers(t.ts, this.cfg)) this.evaluateSeller(s, c, t.accountId, t.ts, out);
    }
  }

  private onBuyOrder(s: SymbolState, t: TradeSignal, out: Finding[]): void {
    // a suspect whose buy spends a sale through a range new to it has taken the scheme's two steps
    // where its login could say little (no history, a proxy at home): a member, not a weak suspect
    const member = t.accountRisk >= this.cfg.campaignMemberRisk || (t.accountRisk >= this.cfg.campaignSuspectRisk && linksByExit(t));
    // into a campaign the price has already confirmed, a buyer with any open incident is one more
    // of its accounts: each wave's weakest accounts (little history, little cash) show least
    const c0 = s.campaign;
    const confirmed = c0 !== null && c0.covers(t.ts, this.cfg) && (c0.confirmed || s.pumpedFrom(c0.refPrice, this.cfg));
    const suspect = t.accountRisk >= this.cfg.campaignSuspectRisk || (confirmed && t.accountRisk > 0);
    s.buys.push({ ts: t.ts, valueJpy: t.valueJpy, member, suspect });
    s.noteDayBuy(t.ts, t.valueJpy, member);
    // sold, then bought this small cap through a range new to the account: whatever its login
    // showed (nothing, without history), accounts doing that through one range are one operator's
    const viaExit = linksByExit(t);
    if (viaExit) s.exits.addMember(t);
    if (!suspect && !viaExit) return;
    // a symbol that was a campaign's target stays watched: a later wave joins it at once
    const cur = s.campaign;
    const covering = cur && (cur.covers(t.ts, this.cfg) || ((member || viaExit) && cur.confirmed && cur.watches(t.ts, this.cfg))) ? cur : null;
    // into a campaign the market has confirmed, a buyer who sold and came through a range new to
    // it is one more of its accounts, whatever its login showed: the slow campaign's quiet victims
    const joinsConfirmed = covering !== null && viaExit && !suspect && covering.confirmed;
    let c = covering && (suspect || joinsConfirmed || (viaExit && sharesExit(covering, t.network))) ? covering : null;
    if (!c && !suspect && cur?.covers(t.ts, this.cfg)) return;
    if (c) {
      c.addMember(t);
      if (joinsConfirmed) c.members.get(t.accountId)!.adopted = true;
      // a fast window that formed before the price moved may be the first days of a slow campaign:
      // its members stay in the slow window, which the price over days can still confirm
      if (member && !c.slow && !c.confirmed) s.slow.addMember(t);
    } else {
      if (member) {
        s.pending.addMember(t);
        s.slow.addMember(t);
      }
      if (suspect) s.suspects.addMember(t);
      const exits = viaExit ? s.exits.sharedExits(t.ts, this.cfg.exitClusterWindowMs, this.cfg.campaignMinAccounts) : [];
      c = member && this.qualifies(s, s.pending, t.ts) ? s.pending
        : member && this.qualifiesSlow(s, s.slow, t.ts) ? s.slow
        : suspect && this.qualifiesInflow(s, s.suspects, t.ts) ? s.suspects
        : exits.length > 0 ? s.exits : null;
      if (!c) return;
      c.slow = c === s.slow;
      c.inflow = c === s.suspects;
      c.byExit = c === s.exits;
      // the campaign is the accounts of the shared ranges; the exit window's others stay unnamed
      // (within the exit window: the pool keeps days of buyers, for an established campaign to name)
      const rest = c.byExit ? c.retain((m) => m.novelExit === true && exits.includes(m.network) && t.ts - m.lastTs <= this.cfg.exitClusterWindowMs) : null;
      c.refPrice = s.referencePrice(c.start, this.ref.instrument(s.symbol)?.prevClose ?? 0, this.cfg);
      c.id = deterministicId('f', 'pump_campaign', s.symbol, homeDay(c.start, this.cfg));
      s.campaign = c;
      s.pending = new CampaignWindow();
      if (c === s.slow) s.slow = new CampaignWindow();
      if (c === s.exits) s.exits = rest ?? new CampaignWindow();
      s.suspects = new CampaignWindow();
      for (const seller of s.recentSellers(c.start)) this.evaluateSeller(s, c, seller, t.ts, out);
    }
    this.emitCampaign(s, c, t.ts, out);
  }

  /**
   * Enough risky accounts, and they are the market: a meme rush has many buyers, few risky ones.
   * Fewer suffice where they share a device: one operator behind several accounts.
   */
  private qualifies(s: SymbolState, c: CampaignWindow, ts: number): boolean {
    const members = c.activeMembers(ts, this.cfg.campaignWindowMs);
    const enough = members.length >= this.cfg.campaignMinAccounts
      || (members.length >= this.cfg.campaignMinSharedAccounts && c.sharedInfrastructure(members).devicePairs > 0);
    return enough && s.memberShare(ts, this.cfg.campaignWindowMs) >= this.cfg.campaignMinMemberShare;
  }

  /**
   * An inflow of suspects: many accounts with an open incident, each too weak to be a member,
   * buying one small cap within the window, and they are most of its buying. A news rush has
   * many buyers with few incidents among them.
   */
  private qualifiesInflow(s: SymbolState, c: CampaignWindow, ts: number): boolean {
    return c.activeMembers(ts, this.cfg.campaignWindowMs).length >= this.cfg.campaignMinSuspects
      && s.memberShare(ts, this.cfg.campaignWindowMs, true) >= this.cfg.campaignMinMemberShare;
  }

  /**
   * A slow-and-low campaign: risky buyers spread over days, still a large share of the symbol's
   * buying, and the price has risen with them. Over days, risky-looking accounts that buy one
   * small cap without moving it are a coincidence of noisy logins, not a pump.
   */
  private qualifiesSlow(s: SymbolState, c: CampaignWindow, ts: number): boolean {
    if (c.activeMembers(ts, this.cfg.slowCampaignWindowMs).length < this.cfg.campaignMinAccounts) return false;
    if (s.dayMemberShare(ts, this.cfg.slowCampaignWindowMs) < this.cfg.campaignMinMemberShare) return false;
    const ref = s.referencePrice(c.start, this.ref.instrument(s.symbol)?.prevClose ?? 0, this.cfg);
    return s.pumpedFrom(ref, this.cfg) || this.advDays(s, c) >= this.cfg.weights.campaign.volumeConfirmsAdvDays;
  }

  /** The members' buying in days of the stock's average daily traded value. */
  private advDays(s: SymbolState, c: CampaignWindow): number {
    const inst = this.ref.instrument(s.symbol);
    return inst && inst.adv20Jpy > 0 ? c.buyJpy / inst.adv20Jpy : 0;
  }

  private emitCampaign(s: SymbolState, c: CampaignWindow, ts: number, out: Finding[]): void {
    if (this.establishedCampaign(s, c)) this.adoptEarlierBuyers(s, c);
    const members = [...c.members.values()];
    if (members.length <= c.emittedMembers) return;
    c.emittedMembers = members.length;
    const share = c.slow ? s.dayMemberShare(ts, this.cfg.slowCampaignWindowMs) : s.memberShare(ts, this.cfg.campaignWindowMs, c.inflow);
    const shared = c.sharedInfrastructure();
    const first = Math.min(...members.map((m) => m.firstTs));
    const last = Math.max(...members.map((m) => m.lastTs));
    const advShare = this.advDays(s, c);
    const meanRisk = members.reduce((a, m) => a + m.risk, 0) / members.length;
    const w = this.cfg.weights.campaign;
    const threat = noisyOr(w.members * ramp(members.length, this.cfg.campaignThreatFromAccounts, this.cfg.campaignThreatFullAccounts), w.memberShare * share,
      w.advShare * ramp(advShare, w.advShareFrom, w.advShareTo), w.meanRisk * meanRisk, shared.devicePairs > 0 || shared.newExitPairs > 0 ? w.sharedDevice : shared.pairs > 0 ? w.sharedNetwork : 0);
    const score = riskScore(threat, w.vulnerability, impactOfJpy(c.buyJpy, this.cfg.weights.score), this.cfg.weights.score);
    const reasons = [
      { code: 'risky_accounts_buying', detail: `${members.length} accounts with takeover signals bought ${s.symbol} within ${span(last - first)} (mean account risk ${meanRisk.toFixed(2)}).` },
      { code: 'share_of_buying', detail: `They placed ${pct(share)} of all buy value on ${s.symbol} over the last ${span(c.slow ? this.cfg.slowCampaignWindowMs : this.cfg.campaignWindowMs)}: ${yen(c.buyJpy)}, ${pct(advShare)} of its 20-day average daily value.` },
    ];
    if (c.inflow) reasons.push({ code: 'suspect_inflow', detail: `${members.length} accounts with an open takeover incident, each too weak alone, bought ${s.symbol} together: ${pct(share)} of its buying.` });
    const spent = members.filter((m) => m.risk >= this.cfg.campaignSuspectRisk && m.risk < this.cfg.campaignMemberRisk && m.novelExit && m.fundedBySale).length;
    if (spent > 0 && !c.inflow) {
      reasons.push({ code: 'suspects_spent_sales', detail: `${spent} of the accounts had takeover signals too weak alone (risk ${this.cfg.campaignSuspectRisk} to ${this.cfg.campaignMemberRisk}), but each sold holdings and spent the sale on ${s.symbol} through an IP range new to it.` });
    }
    if (c.byExit) {
      reasons.push({ code: 'exit_cluster', detail: `${members.filter((m) => m.novelExit).length} of the accounts each sold holdings and then bought ${s.symbol} through one IP range new to each of them, within ${span(this.cfg.exitClusterWindowMs)}: one operator's exit, whatever their logins showed.` });
    }
    const adopted = members.filter((m) => m.adopted).length;
    if (adopted > 0) {
      reasons.push({ code: 'sold_then_bought_in', detail: `${adopted} of the accounts were named once the campaign was established (by price, volume or a shared operator): each sold holdings and then bought ${s.symbol} through an IP range new to it, from ${span(this.cfg.campaignLookbackMs)} before the first member on.` });
    }
    if (c.slow) reasons.push({ code: 'slow_campaign', detail: `The buying came in waves over ${span(last - first)}, each too small to be a campaign alone.` });
    if (shared.devicePairs > 0) reasons.push({ code: 'shared_infrastructure', detail: `${shared.accounts} of the accounts share devices or networks (${shared.what.join(', ')}): one operator behind them.` });
    else if (shared.pairs > 0) reasons.push({ code: 'shared_network', detail: `${shared.accounts} of the accounts came through the same IP range: an office, a carrier's NAT or an operator's proxy.` });
    if (shared.newExitPairs > 0) {
      reasons.push({ code: 'shared_new_exit', detail: `${shared.newExitAccounts} of the accounts came through the same IP range, new to each of them at its login: one rented exit, not an office or a home they already use.` });
    }
    // as in stage 1, one family of evidence alone stays medium: risky-looking buyers of a small cap
    // are a coincidence until the price moves with them, or one operator shows behind several
    const pumped = s.pumpedFrom(c.refPrice, this.cfg);
    if (c.refPrice > 0 && s.lastPrice > 0) {
      // the code says which way the price went, so "price move" never stands above a fall
      const move = `Last price ${s.lastPrice} against ${round3(c.refPrice)} before the campaign (${pct(s.lastPrice / c.refPrice - 1)})`;
      reasons.push(pumped
        ? { code: 'price_move', detail: `${move}: the rise a pump makes.` }
        : { code: 'price_unmoved', detail: `${move}: not yet the ${pct(this.cfg.beneficiaryMinPremium)} rise a pump makes.` });
    }
    // accounts with takeover signals buying days of the stock's normal value confirm it as the price would
    const volume = advShare >= w.volumeConfirmsAdvDays;
    if (volume && !pumped) {
      reasons.push({ code: 'volume_confirms', detail: `They bought ${advShare.toFixed(1)} days of ${s.symbol}'s average daily traded value: more than its own buyers trade, whatever the price did.` });
    }
    if (pumped || volume) c.confirmed = true;
    const severity = pumped || volume || this.operatorOrMany(c, shared) ? severityOf(score, this.cfg) : minSeverity(severityOf(score, this.cfg), 'medium');
    out.push({
      findingId: c.id,
      kind: 'pump_campaign',
      severity,
      score,
      accountIds: members.map((m) => m.accountId).sort(),
      symbols: [s.symbol],
      detectedAt: ts,
      evidence: members.flatMap((m) => m.eventIds).slice(0, 64),
      reasons,
      revision: members.length,
      threat: round3(threat),
      vulnerability: w.vulnerability,
      impact: impactOfJpy(c.buyJpy, this.cfg.weights.score),
    });
  }

  /**
   * A campaign more than risky-looking buyers of one small cap: the market confirmed it (price or
   * volume), or one operator shows behind its accounts (a shared device, a shared new exit), or
   * many of them are risky on their own. The conditions that let a campaign reach high.
   */
  private establishedCampaign(s: SymbolState, c: CampaignWindow): boolean {
    return c.confirmed || s.pumpedFrom(c.refPrice, this.cfg) || this.operatorOrMany(c, c.sharedInfrastructure());
  }

  /** One operator behind the campaign's accounts (a shared device, a shared new exit), or enough of them risky on their own. */
  private operatorOrMany(c: CampaignWindow, shared: ReturnType<CampaignWindow['sharedInfrastructure']>): boolean {
    if (shared.devicePairs > 0 || shared.newExitPairs > 0) return true;
    let risky = 0;
    for (const m of c.members.values()) if (m.risk >= this.cfg.weights.campaign.riskyMemberRisk) risky++;
    return risky >= this.cfg.campaignMinAccounts;
  }

  /**
   * An established campaign names the symbol's earlier buyers that sold and came through a range new
   * to them, from campaignLookbackMs before its first member: a slow campaign's first wave buys
   * before there is a campaign to join, and without login history nothing else marks it.
   */
  private adoptEarlierBuyers(s: SymbolState, c: CampaignWindow): void {
    const from = c.start - this.cfg.campaignLookbackMs;
    for (const m of s.exits.members.values()) if (m.lastTs >= from && !c.members.has(m.accountId)) c.adopt(m);
  }

  /**
   * A beneficiary accumulated the stock before the campaign and sells into it at a premium.
   * A long-standing holder selling into a spike is ordinary; recent accumulation is what marks
   * the pre-positioned accounts.
   */
  private evaluateSeller(s: SymbolState, c: CampaignWindow, accountId: string, ts: number, out: Finding[]): void {
    if (c.members.has(accountId)) return;
    const w = this.cfg.weights.beneficiary;
    const sold = s.sellsBy(accountId, c.start);
    if (sold.quantity === 0 || sold.heldBefore <= 0) return;
    const premium = c.refPrice > 0 && sold.maxPrice > 0 ? sold.maxPrice / c.refPrice - 1 : 0;
    const acc = s.accumulation.get(accountId);
    const accumulated = acc && acc.firstTs < c.start && c.start - acc.firstTs <= this.cfg.beneficiaryLookbackMs ? acc.quantity : 0;
    const recent = sold.heldBefore > 0 ? ramp(accumulated / sold.heldBefore, w.accumulatedFrom, w.accumulatedTo) : 0;
    // a stake built in the days before and sold into the campaign needs less of a spike to be the
    // point of it: a slow pump lifts the price little, and the stake is what it was for
    // what the campaign's accounts bought from its start on, when the seller's sales are counted
    // (a member named from the days before bought before there was anything to supply)
    const boughtSince = c.buyJpy - [...c.members.values()].reduce((a, m) => a + (m.adopted && m.lastTs < c.start ? m.buyJpy : 0), 0);
    // ... and a seller supplies the buying placed while it sells, not what a wave bought hours
    // before it: against a large campaign, what it sold in the last campaignWindowMs against what
    // risky buyers placed in that window (the buys SymbolState keeps), like with like: a seller
    // into several waves days apart is not measured by all its sales against the latest wave
    const supply = supplyShare(sold.valueJpy, boughtSince, s.sellsBy(accountId, Math.max(c.start, ts - this.cfg.campaignWindowMs)).valueJpy,
      s.riskyBuyJpy(ts - this.cfg.campaignWindowMs, ts));
    const soldShare = supply.share;
    // a seller who supplied a large part of what the hijacked accounts bought is the other side of
    // the pump whatever the spike (a slow one lifts the price little): named, for an analyst, at medium
    const supplied = premium > 0 && soldShare >= w.suppliedShare;
    const spiked = premium >= (recent >= w.recentHalvesPremium ? this.cfg.beneficiaryMinPremium * w.recentPremiumFactor : this.cfg.beneficiaryMinPremium);
    const share = ramp(soldShare, w.soldShareFrom, w.soldShareTo);
    // pump groups sell through accounts opened for the purpose; a customer of years is not one.
    // The age comes with the seller's trades (stage 1 knows the account), never from the
    // reference data here: a detector holds only its own stage-1 partitions' accounts.
    const opened = sold.openedAt;
    const ageDays = opened ? (ts - opened) / 86_400_000 : Infinity;
    const fresh = 1 - ramp(ageDays, this.cfg.beneficiaryNewAccountDays * w.newAccountFrom, this.cfg.beneficiaryNewAccountDays * w.newAccountTo);
    // a stake of many days' trading value can only be sold to buyers like the campaign's
    const inst = this.ref.instrument(s.symbol);
    const stakeDays = inst && inst.adv20Jpy > 0 ? (sold.heldBefore * c.refPrice * inst.fxToJpy) / inst.adv20Jpy : 0;
    const stake = ramp(stakeDays, w.stakeFromDays, w.stakeToDays);
    // ... and so is one that built an illiquid stake in the days before and sold all of it into the
    // campaign above its pre-campaign price: such a stake is sold whole only to buyers like these
    const staked = premium > 0 && recent >= 1 && stake > 0 && sold.quantity >= sold.heldBefore;
    if (!spiked && !supplied && !staked) return;
    const threat = noisyOr(w.recent * recent, w.soldShare * share, w.premium * ramp(premium, this.cfg.beneficiaryMinPremium, w.premiumFull), recent > 0 && share > 0 ? w.recentAndSold : 0,
      share > 0 ? w.fresh * fresh : 0, share > 0 ? w.stake * stake : 0);
    const score = riskScore(threat, w.vulnerability, impactOfJpy(sold.valueJpy, this.cfg.weights.score), this.cfg.weights.score);
    if (score < this.cfg.minReportScore) return;
    const prev = c.beneficiaries.get(accountId);
    if (prev !== undefined && score <= prev) return;
    c.beneficiaries.set(accountId, score);
    const reasons = [
      { code: 'sold_into_campaign', detail: `Sold ${sold.quantity} ${s.symbol} (${yen(sold.valueJpy)}) at up to ${pct(premium)} above the pre-campaign price while hijacked accounts were buying.` },
    ];
    if (!spiked && !supplied) {
      reasons.push({ code: 'staked_for_campaign', detail: `Bought the ${sold.heldBefore} ${s.symbol} it held in the ${span(c.start - acc!.firstTs)} before the campaign and sold all of it into the campaign, though the price rose only ${pct(premium)}.` });
    } else if (!spiked) {
      const window = span(this.cfg.campaignWindowMs);
      const of = supply.near
        ? `The ${yen(supply.sold)} it sold in the last ${window} was ${pct(soldShare)} of the ${yen(supply.bought)} risky buyers placed in those ${window} (the campaign's accounts bought ${yen(boughtSince)} in all)`
        : `The sale was ${pct(soldShare)} of the ${yen(boughtSince)} the campaign's accounts bought`;
      reasons.push({ code: 'supplied_campaign', detail: `${of}: the other side of their buying, though the price rose only ${pct(premium)}.` });
    }
    if (stake > 0) {
      reasons.push({ code: 'illiquid_stake', detail: `Held ${sold.heldBefore} ${s.symbol}, ${stakeDays.toFixed(2)} days of its average traded value, before selling into the campaign.` });
    }
    if (fresh > 0) {
      reasons.push({ code: 'recently_opened', detail: `Account opened ${Math.round(ageDays)} days before it sold into the campaign.` });
    }
    if (accumulated > 0) {
      reasons.push({ code: 'accumulated_before', detail: `Bought ${accumulated} ${s.symbol} in the ${span(c.start - acc!.firstTs)} before the campaign.` });
    }
    out.push({
      findingId: deterministicId('f', 'dump_beneficiary', accountId, c.id),
      kind: 'dump_beneficiary',
      // an active trader of many symbols selling into a spike is trading: the accounts a pump
      // sells through trade little else; such a sale is for an analyst to look at, never high
      severity: sold.activeSymbols >= this.cfg.beneficiaryActiveTraderSymbols || !spiked ? minSeverity(severityOf(score, this.cfg), 'medium') : severityOf(score, this.cfg),
      score,
      accountIds: [accountId],
      symbols: [s.symbol],
      detectedAt: ts,
      evidence: sold.eventIds.slice(0, 32),
      reasons,
      revision: sold.eventIds.length,
      threat: round3(threat),
      vulnerability: w.vulnerability,
      impact: impactOfJpy(sold.valueJpy, this.cfg.weights.score),
    });
  }
}

/**
 * The share of the campaign's buying a seller supplied: all its sales against all the campaign
 * bought, or its recent sales against the risky buying of the same recent window when that
 * window held less than the whole campaign; the larger, as each is true of the same sales.
 */
function supplyShare(soldJpy: number, boughtSinceJpy: number, soldNearJpy: number, boughtNearJpy: number): { share: number; near: boolean; sold: number; bought: number } {
  const whole = boughtSinceJpy > 0 ? soldJpy / boughtSinceJpy : 0;
  const near = boughtNearJpy > 0 && boughtNearJpy < boughtSinceJpy ? soldNearJpy / boughtNearJpy : 0;
  return near > whole ? { share: near, near: true, sold: soldNearJpy, bought: boughtNearJpy } : { share: whole, near: false, sold: soldJpy, bought: boughtSinceJpy };
}

/** A buy spending a sale, through a range new to the account: what campaigns of one exit link. */
function linksByExit(t: TradeSignal): boolean {
  return t.fundedBySale === true && t.novelExit === true && t.network !== 0;
}

/** Whether one of the campaign's accounts came through `network`, new to it. */
function sharesExit(c: CampaignWindow, network: number): boolean {
  for (const m of c.members.values()) if (m.novelExit && m.network === network) return true;
  return false;
}

/** A duration as a person says it: minutes, hours or days. */
function span(ms: number): string {
  if (ms < 2 * 3600_000) return `${Math.max(1, Math.round(ms / 60_000))} min`;
  if (ms < 48 * 3600_000) return `${Math.round(ms / 3600_000)} h`;
  return `${(ms / 86_400_000).toFixed(1)} days`;
}

export type { Member };
