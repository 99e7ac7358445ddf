import type { AccountSnapshot, AuthMethod, Severity } from '@kanshi/contract';
import type { DetectionConfig } from './config.js';
import { byAuthMethod, byMfa, noisyOr, ramp, signal, yen, type Signal } from './scoring.js';
import type { SellRun } from './sell-run.js';
import { ALLOW_CODES } from './list-book.js';
import { contradictsAccount } from './login.js';
import type { StraySession } from './thin-buy.js';

/**
 * What a possible takeover of one account has done so far: the access that opened it, control
 * changes, liquidation and thin-stock buys. Benign accounts never allocate one, which keeps the
 * per-account state small.
 */
export class Incident {
  loginRisk = 0;
  loginSignals: Signal[] = [];
  loginEvidence: string[] = [];
  /** session keys (hash32) opened by suspicious logins: orders in them inherit the login risk */
  sessions: number[] = [];
  /**
   * Access that contradicts the account's history, or a change of who controls it (e-mail,
   * phone, MFA, bank account). Without it nothing here goes above medium: a new phone and a big
   * sale are a customer's right, and a campaign finding is what escalates them.
   */
  strongAccess = false;
  /** every login of the incident showed only what a customer's own new phone shows (PHONE_MOVE) */
  onlyPhoneMove = true;
  /** opened by trading alone (a sell-off then a thin buy), no login having looked suspicious */
  tradingOnly = false;
  /** opened by a change of who the account reaches, in a session its history could not vouch for */
  controlOnly = false;
  vulnerability: number;
  controlSignals: Signal[] = [];
  controlEvidence: string[] = [];
  soldJpy = 0;
  soldSymbols: string[] = [];
  marketSells = 0;
  sells = 0;
  sellEvidence: string[] = [];
  thinBuy = 0;
  thinBuySignals: Signal[] = [];
  buyEvidence: string[] = [];
  buyJpy = 0;
  buySymbols: string[] = [];
  /** highest limit premium over the previous close among the thin buys */
  buyPremium = 0;
  lastSellAt = 0;
  /** what was last emitted per finding kind, to re-emit only on news */
  readonly emitted = new Map<string, { revision: number; severity: Severity; size: number }>();

  constructor(
    /** eventId of the first evidence: with the account, the incident's identity */
    readonly key: string,
    readonly start: number,
    public lastAt: number,
    snapshot: AccountSnapshot | undefined,
    cfg: DetectionConfig,
  ) {
    // how easily this account's MFA setting is beaten by phishing relays
    this.vulnerability = byMfa(snapshot?.mfa, cfg.weights.vulnerability);
  }

  isOpen(ts: number, cfg: DetectionConfig): boolean {
    return ts - this.lastAt <= cfg.incidentWindowMs;
  }

  addLogin(risk: number, signals: Signal[], eventId: string, authMethod: AuthMethod, sessionKey: number | null, strong: boolean, cfg: DetectionConfig): void {
    if (strong) this.strongAccess = true;
    if (!signals.every((x) => PHONE_MOVE.has(x.code) || ALLOW_CODES.has(x.code))) {
      this.onlyPhoneMove = false;
      // an MFA re-registration already made, now after a login that was more than a new phone
      if (risk > 0 && this.controlSignals.some((c) => c.code === 'mfa_change')) this.strongAccess = true;
    }
    if (risk > this.loginRisk) {
      this.loginRisk = risk;
      this.loginSignals = signals;
    }
    pushBounded(this.loginEvidence, eventId, 8);
    if (sessionKey !== null && !this.sessions.includes(sessionKey)) pushBounded(this.sessions, sessionKey, 8);
    this.vulnerability = Math.max(this.vulnerability, byAuthMethod(authMethod, cfg.weights.vulnerability));
  }

  addControl(s: Signal, eventId: string): void {
    // A new device then an MFA re-registration is what moving to a new phone looks like: alone it
    // does not hand the account to someone else. With another change of who is reached (e-mail,
    // phone, bank account) it does, and so it does after a login that was more than a new phone
    // on a home line (a datacenter abroad, a VPN, a stolen session, a guessing streak).
    const handsOver = s.code !== 'mfa_change' || !this.onlyPhoneMove || this.controlSignals.some((c) => CONTROL_TAKEOVER.has(c.code) && c.code !== 'mfa_change');
    // in an incident a change opened, the change is its access, not a contradiction of it
    if (CONTROL_TAKEOVER.has(s.code) && this.loginRisk > 0 && handsOver && !this.controlOnly) this.strongAccess = true;
    if (!this.controlSignals.some((c) => c.code === s.code)) this.controlSignals.push(s);
    pushBounded(this.controlEvidence, eventId, 8);
  }

  /**
   * The access of an incident a control change opened: the session that made it, judged by the
   * takeover prior, since its login showed nothing the account's history could contradict.
   */
  adoptUnvouchedSession(prior: Signal, sessionRisk: number, sessionKey: number, eventId: string): void {
    this.controlOnly = true;
    // the prior stands for what the account's history cannot say (MFA, how the session was
    // opened); what the session's own login showed (a VPN, an odd hour) is other evidence
    const risk = noisyOr(prior.weight, sessionRisk);
    if (risk > this.loginRisk) {
      this.loginRisk = risk;
      this.loginSignals = sessionRisk > 0
        ? [prior, signal('session_login_risk', sessionRisk, `The login that opened the session already scored ${sessionRisk.toFixed(2)} on its own (a network, device or hour unlike the account's), too little alone to open an incident.`)]
        : [prior];
    }
    pushBounded(this.loginEvidence, eventId, 8);
    if (!this.sessions.includes(sessionKey)) pushBounded(this.sessions, sessionKey, 8);
  }

  /** The sells that opened a trading-only incident, as if each had been seen inside it. */
  adoptSells(run: SellRun): void {
    this.soldJpy = Math.max(this.soldJpy, run.jpy);
    this.sells = Math.max(this.sells, run.orders);
    this.marketSells = Math.max(this.marketSells, run.marketOrders);
    for (const x of run.symbols) if (!this.soldSymbols.includes(x) && this.soldSymbols.length < 32) this.soldSymbols.push(x);
    for (const e of run.evidence) pushBounded(this.sellEvidence, e, 16);
    this.lastSellAt = Math.max(this.lastSellAt, run.start);
  }

  /** A change of e-mail, phone, MFA or bank account, and a withdrawal, in this incident. */
  cashOut(): boolean {
    return this.controlSignals.some((c) => CONTROL_TAKEOVER.has(c.code)) && this.controlSignals.some((c) => c.code === 'withdrawal_request');
  }

  /**
   * In a session its history could not vouch for, the bank account changed, the e-mail or phone
   * that would hear of a withdrawal changed too, and cash was asked for: the owner cut off from
   * their own cash-out. One change alone (a new bank, a new address) is a customer's housekeeping.
   */
  cutOffCashOut(): boolean {
    const has = (c: string) => this.hasControl(c);
    return this.controlOnly && has('withdrawal_request') && has('bank_account_change') && (has('email_change') || has('phone_change'));
  }

  /**
   * In a session its history could not vouch for, the e-mail or phone changed and the trade
   * notices were silenced: the owner will hear of nothing that follows. Either alone is a
   * customer's housekeeping (a new address, fewer mails); both at once is how an attacker starts.
   */
  silencedOwner(): boolean {
    return this.controlOnly && this.ownerCutOff();
  }

  /**
   * What the incident's session did that its owner does not, for a thin stock the account never
   * bought: access that contradicted the account, or the owner cut off from hearing of it.
   */
  straySession(): StraySession {
    if (contradictsAccount(this.loginSignals)) return "whose access did not look like the owner's";
    return this.ownerCutOff() ? "that had changed the account's e-mail or phone and silenced its trade notices" : null;
  }

  /** The e-mail or phone changed and the trade notices silenced, in the incident's sessions. */
  ownerCutOff(): boolean {
    const has = (c: string) => this.hasControl(c);
    return has('notification_change') && (has('email_change') || has('phone_change'));
  }

  private hasControl(code: string): boolean {
    return this.controlSignals.some((x) => x.code === code);
  }

  /** Strength of control changes (notifications off, bank account, e-mail, MFA ...). */
  control(): number {
    return noisyOr(...this.controlSignals.map((s) => s.weight));
  }

  liquidationRatio(holdingsJpy: number): number {
    return holdingsJpy > 0 ? this.soldJpy / holdingsJpy : 0;
  }

  /** 0..1 strength of the liquidation: share of holdings sold, many symbols, market orders. */
  liquidation(holdingsJpy: number, cfg: DetectionConfig): number {
    const w = cfg.weights.incident;
    const base = ramp(this.liquidationRatio(holdingsJpy), cfg.liquidationMinRatio, cfg.liquidationFullRatio);
    const breadth = this.soldSymbols.length >= cfg.liquidationBreadthSymbols ? w.liquidationBreadth : 0;
    const haste = this.hasty(cfg) ? w.liquidationHaste : 0;
    return base * (w.liquidationBase + breadth + haste);
  }

  /** Liquidation followed by a thin buy: the shape of the scheme itself. */
  pattern(holdingsJpy: number, cfg: DetectionConfig): number {
    if (this.thinBuy === 0 || this.soldJpy === 0) return 0;
    const w = cfg.weights.incident;
    return Math.min(ramp(this.liquidationRatio(holdingsJpy), cfg.liquidationMinRatio * w.patternRampFrom, cfg.liquidationMinRatio * w.patternRampTo), this.thinBuy);
  }

  /**
   * The scheme itself, complete within one incident: most of the holdings sold, and the cash put
   * into a thin stock in a size that moves it (the buy is a large share of the stock's daily value
   * and of what was sold). A customer's own rebalancing rarely has all three; it is what lets an
   * incident go above medium without access that contradicts the account's history: without
   * history, or through a residential proxy, the access cannot speak.
   */
  schemeShape(holdingsJpy: number, cfg: DetectionConfig): boolean {
    const w = cfg.weights.incident;
    // where no login could speak, a change of who the account reaches in the unvouched session is
    // the access; after it, a partial sell-off (a slow campaign sells in part) is the shape's start
    const reached = this.reachedChanged() || this.silencedAfterAccess(cfg);
    // ... and so is one after the trade notices were silenced in a session suspicious enough to open
    // an incident, or after access that contradicts the account (a datacenter abroad, a session
    // moved): the part sold need not be most of the holdings
    const muted = this.silencedAfter(cfg.suspiciousLoginRisk);
    const minSold = reached || muted || contradictsAccount(this.loginSignals) ? cfg.liquidationMinRatio : Math.max(w.schemeMinSoldShare, cfg.liquidationMinRatio);
    // after such a change the buy need not move its stock: spending the sale on it is the step
    const minThin = reached ? this.thinBuyBar(cfg) : w.schemeMinThinBuy;
    const shape = this.liquidationRatio(holdingsJpy) >= minSold && this.thinBuy >= minThin
      && this.pattern(holdingsJpy, cfg) >= Math.min(minThin, w.schemeMinPattern) && this.buyJpy >= w.schemeMinBuyOfSold * this.soldJpy;
    // ... and bought the way someone else's money is spent: from a session that did not look like
    // the owner's, or at a price well above the market (a pump pays up; a customer waits for a fill)
    // (a new device on the home network alone is novelty, not that: it needs a second sign)
    const access = (this.loginRisk >= cfg.suspiciousLoginRisk && (this.loginRisk >= w.schemeAccessLoginRisk || this.control() >= w.controlPointStrength)) || reached;
    if (shape && (access || this.buyPremium >= cfg.aggressiveLimitPremium)) return true;
    // with nothing sold (cash in the account, a holiday night) no sale starts the shape: the trade
    // notices silenced after access unlike the account, then a thin buy that pays up, are the scheme
    return this.soldJpy === 0 && this.silencedAfterAccess(cfg) && this.thinBuy >= this.thinBuyBar(cfg) && this.buyPremium >= cfg.aggressiveLimitPremium;
  }

  /**
   * How strong a thin buy must be to count. After access that contradicts the account, any
   * noticeable buy of a thin stock is the scheme's next step, however small each account's share
   * of the pump (a campaign of many accounts each buys a little, and on a home holiday there is
   * nothing to sell first); without it, a small-cap buy must be large for its stock to count.
   */
  thinBuyBar(cfg: DetectionConfig): number {
    return this.strongAccess || this.reachedChanged() || this.silencedAfterAccess(cfg) ? cfg.weights.incident.thinBuyBarStrongAccess : cfg.weights.incident.thinBuyBar;
  }

  /**
   * The trade notices silenced after a login unlike the account's history, then half the holdings
   * or more sold: the owner is not told of the sale. A customer cashing out leaves the notices on,
   * or turns them off from a device and line the account knows.
   */
  silencedSale(holdingsJpy: number, cfg: DetectionConfig): boolean {
    return this.silencedAfterAccess(cfg) && this.liquidationRatio(holdingsJpy) >= cfg.weights.incident.schemeMinSoldShare;
  }

  /**
   * The trade notices silenced after a login unlike the account's history (new device and line,
   * an odd hour): the owner is not told of what follows. A customer's new phone does not mute the
   * account it has just reached; an attacker about to sell and buy does.
   */
  private silencedAfterAccess(cfg: DetectionConfig): boolean {
    return this.silencedAfter(cfg.weights.incident.schemeAccessLoginRisk);
  }

  /** The trade notices silenced in a session (not a control-only one) at this login risk or more. */
  private silencedAfter(minLoginRisk: number): boolean {
    return !this.controlOnly && this.loginRisk >= minLoginRisk && this.hasControl('notification_change');
  }

  /**
   * Opened by a change, in a session no history vouches for, of whom the account reaches or who
   * hears of its trades (e-mail, phone, MFA, bank account, notices silenced): the attacker's first
   * steps, taken where the access itself cannot speak.
   */
  private reachedChanged(): boolean {
    return this.controlOnly && this.controlSignals.some((c) => CONTROL_TAKEOVER.has(c.code) || c.code === 'notification_change');
  }

  /**
   * Corroboration points cap the severity, so one family of evidence alone (a new phone, a
   * sell-off, a small-cap buy) never reaches high: strong access counts 2, every other family 1.
   */
  points(holdingsJpy: number, cfg: DetectionConfig, familiar: boolean): number {
    const w = cfg.weights.incident;
    let p = this.loginRisk >= w.strongAccessLoginRisk ? 2 : this.loginRisk >= w.accessLoginRisk ? 1 : 0;
    // an incident a control change opened has that change as its access: it counts without a login point
    const access = p > 0 || this.controlOnly;
    if (this.control() >= w.controlPointStrength && access) p++;
    // a change of who controls the account and then a withdrawal: the cash-out is the attack itself
    if (access && this.cashOut()) p++;
    // ... and where the money goes changed with who is told of it: the owner cut off from the cash-out
    if (this.cutOffCashOut() || this.silencedOwner()) p++;
    if (this.liquidation(holdingsJpy, cfg) >= w.liquidationPointStrength || this.hastySaleAfterStrongAccess(holdingsJpy, cfg)) p++;
    if (this.thinBuy >= this.thinBuyBar(cfg)) p++;
    if (!familiar && this.pattern(holdingsJpy, cfg) >= w.patternPointStrength) p++;
    return p;
  }

  /**
   * After access that contradicts the account (a session cookie replayed from another device, a
   * datacenter abroad), most of the sells at market and a liquidation's share of the holdings or
   * more: whoever took the session is cashing in. The same share sold at limit prices by a
   * customer abroad is a trade; an attacker does not wait for a price, the sale is the step
   * before the buy or the withdrawal (a slow campaign sells in part, and may buy days later).
   */
  hastySaleAfterStrongAccess(holdingsJpy: number, cfg: DetectionConfig): boolean {
    return this.strongAccess && this.hasty(cfg) && this.liquidationRatio(holdingsJpy) >= cfg.liquidationMinRatio;
  }

  /** At least hasteMarketShare of the incident's sells were at market: sold for cash now, not for a price. */
  private hasty(cfg: DetectionConfig): boolean {
    return this.sells > 0 && this.marketSells / this.sells >= cfg.weights.incident.hasteMarketShare;
  }

  /**
   * Evidence that someone else holds the account (access, control changes, the sell-off), not
   * counting the thin buys: forwarded with its trades to the symbol stage, which weighs the buying
   * itself. Counting a buy in its own buyer's risk made any novelty plus a small-cap buy a
   * "risky buyer", and a few such customers on one symbol a campaign.
   */
  takeoverRisk(holdingsJpy: number, cfg: DetectionConfig, familiar: boolean): number {
    const w = cfg.weights.incident;
    const t = noisyOr(
      this.loginRisk,
      this.controlThreat(cfg),
      w.liquidation * this.liquidation(holdingsJpy, cfg),
    );
    return familiar && this.loginRisk < w.familiarMaxLoginRisk ? t * w.familiarFactor : t;
  }

  /**
   * The control changes' part of a threat: in full after access (a login that counts, or the
   * change itself where one opened the incident, as in points), weakly after a login that does not.
   */
  private controlThreat(cfg: DetectionConfig): number {
    const w = cfg.weights.incident;
    return (this.loginRisk >= w.accessLoginRisk || this.controlOnly ? w.control : w.controlWeakAccess) * this.control();
  }

  /** Threat of the account overall, its buys included. */
  threat(holdingsJpy: number, cfg: DetectionConfig, familiar: boolean): number {
    const w = cfg.weights.incident;
    const t = noisyOr(
      this.loginRisk,
      this.controlThreat(cfg),
      w.liquidation * this.liquidation(holdingsJpy, cfg),
      w.thinBuy * this.thinBuy,
      w.pattern * this.pattern(holdingsJpy, cfg),
    );
    return familiar && this.loginRisk < w.familiarMaxLoginRisk ? t * w.familiarFactor : t;
  }

  reasons(holdingsJpy: number, cfg: DetectionConfig): Signal[] {
    const w = cfg.weights.incident;
    const out: Signal[] = [...this.loginSignals, ...this.controlSignals];
    const ratio = this.liquidationRatio(holdingsJpy);
    if (this.liquidation(holdingsJpy, cfg) > 0) {
      out.push(signal('liquidation', w.liquidation * this.liquidation(holdingsJpy, cfg), liquidationDetail(ratio, this.soldJpy, holdingsJpy, this.sells, this.soldSymbols.length, this.marketSells)));
    }
    out.push(...this.thinBuySignals);
    if (this.pattern(holdingsJpy, cfg) > 0) {
      out.push(signal('liquidate_then_buy_thin', w.pattern * this.pattern(holdingsJpy, cfg), 'Holdings were sold and the cash went into a thinly traded stock: the hack, pump and dump pattern.'));
    }
    return out;
  }
}

/**
 * The sale in words whose numbers agree: a ratio above 100 % is the account selling what it
 * bought after the snapshot too, and is said so instead of "101 % of the holdings".
 */
export function liquidationDetail(ratio: number, soldJpy: number, holdingsJpy: number, orders: number, symbols: number, market: number): string {
  const what = `${orders} sell order${orders === 1 ? '' : 's'} in ${symbols} symbol${symbols === 1 ? '' : 's'}, ${market} at market`;
  if (ratio > 1) return `Sold ${yen(soldJpy)}, more than the ${yen(holdingsJpy)} held at the snapshot: everything, and shares bought since (${what}).`;
  return `Sold ${Math.round(ratio * 100)}% of the ${yen(holdingsJpy)} held at the snapshot (${what}).`;
}

/** What a customer's own new phone shows at its first login: novelty of device, network and hour. */
const PHONE_MOVE = new Set(['new_device', 'new_network', 'new_ip_range', 'unusual_hour', 'device_missing', 'legacy_password_only', 'secure_web_gateway', 'session_resume_home_network']);

/** Changes that hand the account to someone else, as opposed to housekeeping. */
const CONTROL_TAKEOVER = new Set(['email_change', 'phone_change', 'mfa_change', 'bank_account_change']);

function pushBounded<T>(list: T[], v: T, max: number): void {
  if (list.length < max) list.push(v);
}
