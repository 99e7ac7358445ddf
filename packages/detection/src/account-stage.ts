import type { AccountChangeEvent, Finding, InputEvent, LoginEvent, OrderEvent } from '@kanshi/contract';
import type { DetectionConfig } from './config.js';
import type { ControlWeights } from './weights.js';
import { hash32 } from './ids.js';
import { Incident } from './incident.js';
import { IncidentReport } from './incident-report.js';
import { assessLogin, onHomeCarrier } from './login.js';
import { packAccess, takeoverPrior, unpackAccess } from './prior.js';
import { PackedMap } from './packed-map.js';
import { fundedBySale, liquidationRun, recordSell, type SellRun } from './sell-run.js';
import { sessionMisuse } from './session-use.js';
import { AccountProfile, channelCode, HourHistograms, originOf, type Origin, type SessionRecord } from './profile.js';
import { isThin, valueJpy, type ReferenceData } from './reference.js';
import { noisyOr, SEVERITY_ORDER, signal, type Signal } from './scoring.js';
import type { TradeSignal } from './signals.js';
import { assessBuy } from './thin-buy.js';

/** Everything stage 1 knows of one account. */
export class AccountState extends AccountProfile {
  incident: Incident | null = null;
  /** rolling sells, for a liquidation that no login anomaly announced */
  sellWindow: SellRun | null = null;
  /** sells of the latest session that sold: a session that sells and later buys thin is one actor */
  sessionSells: SellRun | null = null;
  /** how the latest successful login got in, packed (see packAccess): the prior of a takeover no login gave away */
  access = -1;
  /** net fills of thin symbols seen in the stream, by symbol */
  thinNet: Map<string, number> | null = null;
}

export interface StageOutput {
  findings: Finding[];
  trades: TradeSignal[];
}

/** Changes that open an incident of their own in a session its history cannot vouch for (see controlIncident). */
const CONTROL_OPENS = new Set<AccountChangeEvent['action']>(['email_change', 'phone_change', 'bank_account_change', 'notification_change']);

/** Each account change's weight in weights.control. */
const CONTROL_WEIGHT: Record<AccountChangeEvent['action'], keyof ControlWeights> = {
  notification_change: 'notificationChange',
  email_change: 'emailChange',
  phone_change: 'phoneChange',
  mfa_change: 'mfaChange',
  bank_account_change: 'bankAccountChange',
  withdrawal_request: 'withdrawalRequest',
  password_change: 'passwordChange',
  address_change: 'addressChange',
};

const REPORTS = new WeakMap<AccountStage, IncidentReport>();

/**
 * Stage 1, keyed by account: takeover signals, then what the session did with the account.
 * Pure: events in, findings and symbol-keyed trade signals out.
 */
export class AccountStage {
  private readonly hours = new HourHistograms();
  /** packed per account in a snapshot, each revived on its first event after a restore (packed-map.ts); the hour histograms are shared */
  private readonly accounts = new PackedMap<string, AccountState>([this.hours]);

  constructor(private readonly ref: ReferenceData, private readonly cfg: DetectionConfig) {}

  /** derived from ref and cfg, so kept beside the stage rather than in it: a snapshot holds state only */
  private get report(): IncidentReport {
    let r = REPORTS.get(this);
    if (!r) {
      r = new IncidentReport(this.ref, this.cfg);
      REPORTS.set(this, r);
    }
    return r;
  }

  get accountCount(): number {
    return this.accounts.size;
  }

  process(ev: InputEvent, out: StageOutput): void {
    let st = this.accounts.get(ev.accountId);
    if (!st) {
      st = new AccountState(this.hours);
      this.accounts.set(ev.accountId, st);
    }
    if (ev.type === 'login') this.onLogin(st, ev, out);
    else if (ev.type === 'order') this.onOrder(st, ev, out);
    else this.onAccountChange(st, ev, out);
    st.touch(ev.ts);
  }

  private onLogin(st: AccountState, ev: LoginEvent, out: StageOutput): void {
    if (ev.result === 'failure') {
      st.noteFailure(ev.ts, this.cfg);
      return;
    }
    const origin = originOf(ev);
    const snapshot = this.ref.account(ev.accountId);
    const returning = (origin.device !== 0 && !st.knowsDevice(origin.device) && st.onProbation(origin.device, ev.ts, this.cfg))
      || (!st.networks.includes(origin.network) && st.onProbation(origin.network, ev.ts, this.cfg));
    if (returning && (this.ledNowhere(st, ev.ts) || this.returnsHome(st, origin, ev, snapshot?.homeCountry ?? this.cfg.homeCountry))) {
      st.learnLogin(origin, ev, this.cfg);
    }
    const { risk, signals, strong, watchable } = assessLogin(ev, origin, st, snapshot, this.cfg, this.ref.lists.judgeLogin(ev));
    const novelDevice = !st.knowsDevice(origin.device);
    const novelNetwork = !st.networks.includes(origin.network);
    st.access = packAccess(ev.authMethod, ev.channel, st.logins, novelDevice, novelNetwork);
    const sessionKey = ev.sessionId ? hash32(ev.sessionId) : null;
    const resumed = ev.authMethod === 'session_resume' && st.session(ev.sessionId) !== undefined;
    const novelExit = novelNetwork && ev.ipType !== 'mobile' && origin.network !== 0;
    if (resumed && sessionKey !== null) st.touchSession(sessionKey, ev.ts);
    if (sessionKey !== null && !resumed) st.rememberSession({ key: sessionKey, device: origin.device, network: origin.network, asn: origin.asn, risk, at: ev.ts, channel: channelCode(ev.channel), novelDevice, novelExit }, this.cfg);

    const inc = st.incident;
    const sameHands = !signals.some((x) => x.code.startsWith('session_resume_'));
    if (resumed && inc && sessionKey !== null && inc.sessions.includes(sessionKey) && sameHands) {
      // the suspicious session coming back from the device that opened it (hours later, for the
      // night session): same actor, same incident, and its device is never learned as the owner's
      inc.lastAt = Math.max(inc.lastAt, ev.ts);
      inc.addLogin(risk, signals, ev.eventId, ev.authMethod, sessionKey, strong, this.cfg);
    } else if (risk >= this.cfg.suspiciousLoginRisk) {
      const opened = this.openIncident(st, ev.accountId, ev.eventId, ev.ts);
      opened.addLogin(risk, signals, ev.eventId, ev.authMethod, sessionKey, strong, this.cfg);
      this.report.takeover(opened, st, ev.accountId, ev.ts, out);
      // Plausible novelty (a second device on the home network) is watched and learned, or the
      // customer's own laptop would look new forever; so is an exit strong only as a network (an
      // office proxy, a VPN): it is learned only if it comes back after an incident that did nothing.
      // Other contradictions are never learned.
      if (!strong && risk < this.cfg.learnBelowRisk) st.learnLogin(origin, ev, this.cfg);
      else if (!strong || watchable) {
        if (origin.device !== 0) st.putOnProbation(origin.device, ev.ts);
        st.putOnProbation(origin.network, ev.ts);
      }
    } else {
      st.learnLogin(origin, ev, this.cfg);
    }
  }

  private onAccountChange(st: AccountState, ev: AccountChangeEvent, out: StageOutput): void {
    const session = st.session(ev.sessionId);
    if (session && ev.deviceId && session.device !== 0 && hash32(ev.deviceId) !== session.device) {
      this.sessionHijack(st, ev.accountId, ev, session, signal('session_used_foreign_device', this.cfg.weights.login.sessionUsedForeignDevice,
        `Session ${ev.sessionId} was used from device ${ev.deviceId}, not the device that logged it in, with no login of its own: a stolen session token.`));
    }
    const inc = st.incident && st.incident.isOpen(ev.ts, this.cfg) ? st.incident : this.controlIncident(st, ev);
    if (!inc || this.isOwnersSession(st, inc, ev.sessionId)) return;
    inc.addControl(signal(ev.action, this.cfg.weights.control[CONTROL_WEIGHT[ev.action]], `${ev.action.replace(/_/g, ' ')} during the suspicious session.`), ev.eventId);
    inc.lastAt = ev.ts;
    this.report.takeover(inc, st, ev.accountId, ev.ts, out);
  }

  /**
   * A change of who the account reaches or what its owner is told (e-mail, phone, bank account,
   * notifications) that no suspicious login announced, made in a session the account's history
   * cannot vouch for: a device first seen at that session's login, or a history too thin to know
   * one. Silencing the trade notices is the relay's first step before it trades. What the session
   * does next (more changes, a withdrawal, a sell-off) is then judged as one incident, with the
   * takeover prior as its access; a customer's own familiar session never opens one, nor does an
   * MFA re-registration, which is what moving to a new phone looks like.
   */
  private controlIncident(st: AccountState, ev: AccountChangeEvent): Incident | null {
    if (!CONTROL_OPENS.has(ev.action)) return null;
    const session = st.session(ev.sessionId);
    if (!session || this.isFamiliar(st, session) || (st.isEstablished(this.cfg) && !session.novelDevice)) return null;
    const inc = this.openIncident(st, ev.accountId, ev.eventId, ev.ts);
    inc.adoptUnvouchedSession(takeoverPrior(this.ref.account(ev.accountId), unpackAccess(st.access), this.cfg), session.risk, session.key, ev.eventId);
    return inc;
  }

  private onOrder(st: AccountState, ev: OrderEvent, out: StageOutput): void {
    const inst = this.ref.instrument(ev.symbol);
    if (!inst) return;
    const placedIn = ev.sessionId && (ev.status === 'new' || ev.status === 'amended') ? st.session(ev.sessionId) : undefined;
    if (placedIn) {
      for (const m of sessionMisuse(placedIn, ev, this.ref.lists, this.cfg)) {
        this.sessionHijack(st, ev.accountId, ev, placedIn, m.signal, m.contradicts);
        if (m.listed && st.incident) this.report.takeover(st.incident, st, ev.accountId, ev.ts, out);
      }
      st.touchSession(placedIn.key, ev.ts);
    }
    const thin = isThin(inst, this.cfg);
    const placed = ev.status === 'new' || ev.status === 'amended';
    const session = ev.sessionId ? st.session(ev.sessionId) : st.latestSession();
    const familiar = this.isFamiliar(st, session);
    let inc = st.incident && (st.incident.isOpen(ev.ts, this.cfg) || this.inSuspiciousSession(st.incident, ev.sessionId)) ? st.incident : null;
    // a takeover no login gave away is judged on its session's trading: that session is the actor,
    // and the owner's other terminal, quiet on a device the account knew, is not (asked only where
    // it can matter: a thin stock's order, or an incident opened by trading)
    const otherTerminal = (thin || inc?.tradingOnly === true) && this.isOwnersOtherTerminal(st, session);
    const attributable = inc !== null && (inc.tradingOnly ? !otherTerminal : !this.isOwnersSession(st, inc, ev.sessionId));
    const v = valueJpy(inst, ev.quantity, ev.price);

    if (placed && ev.side === 'sell' && ev.status === 'new') {
      recordSell(st, ev, v, this.cfg);
      if (inc && attributable) {
        this.addSell(inc, ev, v);
        this.report.liquidation(inc, st, ev.accountId, ev.ts, out);
      }
    } else if (placed && ev.side === 'buy') {
      // (the other terminal sold nothing in the latest selling session: no sell-off is its own)
      const sellOff = thin && !familiar && !otherTerminal ? liquidationRun(st, ev, this.ref.holdingsJpy(ev.accountId), this.cfg) : null;
      const buy = assessBuy(ev, inst, st, this.cfg, Math.max(sellOff?.jpy ?? 0, attributable ? inc!.soldJpy : 0), attributable ? inc!.straySession() : null);
      const run = buy.strength > 0 && !attributable ? sellOff : null;
      // nothing sold first (cash in the account, a holiday with nothing to sell), no history to
      // vouch for the session, and a thin stock bought in size at well above its last close: a
      // pump pays up, a customer waits. Alone that is medium at most; it makes the buyer a suspect
      // that a campaign the price has confirmed takes in
      const paysUp = !run && !inc && !st.isEstablished(this.cfg) && buy.strength >= this.cfg.weights.incident.thinBuyBar
        && (buy.premium ?? 0) >= this.cfg.aggressiveLimitPremium;
      if (run) {
        // no login gave it away, but the account sold out and went into a thin stock
        inc = this.openTradingOnly(st, ev.accountId, run.evidence[0] ?? ev.eventId, run.start || ev.ts);
        inc.adoptSells(run);
      } else if (paysUp) {
        inc = this.openTradingOnly(st, ev.accountId, ev.eventId, ev.ts);
      } else if (buy.strength > 0 && inc?.controlOnly && sellOff && sellOff.jpy > inc.soldJpy) {
        // the sell-off came before the change that opened the incident (sell, silence the notices,
        // buy): it is the same session's scheme, as it would be for a trading-only incident
        inc.adoptSells(sellOff);
      }
      if (buy.strength > 0 && inc && (attributable || (inc.tradingOnly && !otherTerminal))) {
        if (buy.strength > inc.thinBuy) {
          inc.thinBuy = buy.strength;
          inc.thinBuySignals = buy.signals;
        }
        if (inc.buyEvidence.length < 16) inc.buyEvidence.push(ev.eventId);
        if (!inc.buySymbols.includes(ev.symbol)) inc.buySymbols.push(ev.symbol);
        inc.buyJpy += buy.valueJpy;
        if (buy.premium !== null && buy.premium > inc.buyPremium) inc.buyPremium = buy.premium;
        inc.lastAt = ev.ts;
        this.report.pump(inc, st, ev.accountId, ev.ts, out);
      } else if (ev.status === 'new') {
        st.learnOrderValue(buy.valueJpy);
        st.learnSymbol(ev.symbol);
      }
    }
    // the owner's own familiar session trading while another session's incident is open: the
    // order is the owner's, and the incident's risk is not this buyer's
    const riskFrom = (familiar || otherTerminal) && !attributable ? null : inc;
    if (thin) out.trades.push(this.tradeSignal(st, ev, v, riskFrom, familiar, session, placed && ev.side === 'buy' && !familiar && fundedBySale(st, ev, v, this.cfg)));
  }

  private tradeSignal(st: AccountState, ev: OrderEvent, v: number, inc: Incident | null, familiar: boolean, session: SessionRecord | undefined, funded: boolean): TradeSignal {
    const held = this.ref.snapshotQuantity(ev.accountId, ev.symbol) + (st.thinNet?.get(ev.symbol) ?? 0);
    const fill = ev.fillQuantity ?? 0;
    if (fill > 0) {
      st.thinNet ??= new Map();
      st.thinNet.set(ev.symbol, (st.thinNet.get(ev.symbol) ?? 0) + (ev.side === 'buy' ? fill : -fill));
    }
    const filled = ev.status === 'filled' || ev.status === 'partially_filled';
    const opened = this.ref.account(ev.accountId)?.openedAt;
    return {
      symbol: ev.symbol,
      accountId: ev.accountId,
      eventId: ev.eventId,
      orderId: ev.orderId,
      ts: ev.ts,
      side: ev.side,
      status: ev.status,
      quantity: ev.quantity,
      price: filled ? (ev.fillPrice ?? ev.price ?? null) : (ev.price ?? null),
      fillQuantity: fill,
      valueJpy: v,
      accountRisk: inc ? inc.takeoverRisk(this.ref.holdingsJpy(ev.accountId), this.cfg, familiar) : 0,
      heldBefore: held,
      device: session?.device ?? 0,
      network: session?.network ?? 0,
      asn: session?.asn ?? 0,
      ...(session?.novelExit ? { novelExit: true } : {}),
      ...(funded ? { fundedBySale: true } : {}),
      activeSymbols: st.symbols.length,
      ...(opened !== undefined ? { openedAt: opened } : {}),
    };
  }

  /**
   * A session used where its login did not happen: a token lifted by an infostealer and replayed
   * without any login event, so no login assessment ever saw it. It is the takeover's access.
   */
  private sessionHijack(st: AccountState, accountId: string, ev: { eventId: string; ts: number }, session: SessionRecord, s: Signal, contradicts = true): void {
    const inc = st.incident && st.incident.isOpen(ev.ts, this.cfg) ? st.incident : this.openIncident(st, accountId, ev.eventId, ev.ts);
    if (inc.sessions.includes(session.key) && inc.loginSignals.some((x) => x.code === s.code)) return;
    inc.tradingOnly = false;
    const before = inc.loginSignals.filter((x) => x.code !== 'takeover_prior');
    inc.addLogin(noisyOr(...before.map((x) => x.weight), s.weight), [...before, s], ev.eventId, 'session_resume', session.key, contradicts, this.cfg);
    inc.lastAt = Math.max(inc.lastAt, ev.ts);
  }

  /** An incident no login opened, judged on its trading: the account's takeover prior stands for the access. */
  private openTradingOnly(st: AccountState, accountId: string, key: string, ts: number): Incident {
    const inc = this.openIncident(st, accountId, key, ts);
    inc.tradingOnly = true;
    const prior = takeoverPrior(this.ref.account(accountId), unpackAccess(st.access), this.cfg);
    inc.loginRisk = Math.max(inc.loginRisk, prior.weight);
    inc.loginSignals = [prior];
    return inc;
  }

  private openIncident(st: AccountState, accountId: string, key: string, ts: number): Incident {
    if (!st.incident || !st.incident.isOpen(ts, this.cfg)) {
      st.incident = new Incident(key, ts, ts, this.ref.account(accountId), this.cfg);
    }
    st.incident.lastAt = Math.max(st.incident.lastAt, ts);
    return st.incident;
  }

  /** No incident is open, and the last one did nothing an attacker does: no control change, no sale, no buy. */
  private ledNowhere(st: AccountState, ts: number): boolean {
    const inc = st.incident;
    return !inc || (!inc.isOpen(ts, this.cfg) && inc.soldJpy === 0 && inc.buyJpy === 0 && inc.controlSignals.length === 0);
  }

  /**
   * A device first seen in an incident that traded but never became a takeover, back after the
   * incident closed on a network the account already uses: the owner's second device at home.
   * An attacker acts within his session and does not come back from the victim's own line, while
   * an active trader's second device would otherwise reopen an incident at every login for good.
   */
  private returnsHome(st: AccountState, origin: Origin, ev: LoginEvent, home: string): boolean {
    const inc = st.incident;
    if (!inc || inc.isOpen(ev.ts, this.cfg) || inc.controlSignals.length > 0 || inc.strongAccess) return false;
    if (![...inc.emitted.values()].every((e) => SEVERITY_ORDER[e.severity] < SEVERITY_ORDER.high)) return false;
    // a phone comes back on a home-country carrier as readily as on the home line
    return origin.device !== 0 && (onHomeCarrier(ev, home) || (st.networks.includes(origin.network) && origin.asn !== 0 && st.asns.includes(origin.asn)));
  }

  /** An order in a session a suspicious login opened belongs to the incident however late it comes. */
  private inSuspiciousSession(inc: Incident, sessionId: string | null | undefined): boolean {
    return !!sessionId && inc.sessions.includes(hash32(sessionId));
  }

  /** A session the owner created, judged genuine: what happens in it is not the incident's. */
  private isOwnersSession(st: AccountState, inc: Incident, sessionId: string | null | undefined): boolean {
    const s = st.session(sessionId);
    return s !== undefined && s.risk < this.cfg.suspiciousLoginRisk && !inc.sessions.includes(s.key);
  }

  /**
   * The owner's own session: quiet, on an established history, from a device that history knew
   * before the session's login (a device first seen at that login is known only because it logged in).
   * Quiet is at most one weak sign, a known device on a new network or at an odd hour.
   */
  private isFamiliar(st: AccountState, s: SessionRecord | undefined): boolean {
    return s !== undefined && !s.novelDevice && s.risk <= this.cfg.weights.takeover.familiarMaxRisk && st.isEstablished(this.cfg) && st.knowsDevice(s.device);
  }

  /**
   * A quiet session of a device the account already knew, while the latest sells came from
   * another session on another device: the owner's other terminal (the phone beside the office
   * PC). One actor's scheme sells and buys where it got in; a buy here spends the owner's own sale
   * and is a sell-off's second step only if this session sold too.
   */
  private isOwnersOtherTerminal(st: AccountState, s: SessionRecord | undefined): boolean {
    const sold = st.sessionSells;
    if (!s || !sold || sold.key === 0 || sold.key === s.key) return false;
    const seller = st.sessionByKey(sold.key);
    return seller !== undefined && s.risk < this.cfg.suspiciousLoginRisk && s.device !== 0 && st.knowsDevice(s.device) && seller.device !== s.device;
  }

  private addSell(inc: Incident, ev: OrderEvent, v: number): void {
    inc.soldJpy += v;
    inc.sells++;
    if (ev.orderType === 'market') inc.marketSells++;
    if (!inc.soldSymbols.includes(ev.symbol) && inc.soldSymbols.length < 32) inc.soldSymbols.push(ev.symbol);
    if (inc.sellEvidence.length < 16) inc.sellEvidence.push(ev.eventId);
    inc.lastAt = ev.ts;
    inc.lastSellAt = ev.ts;
  }
}
