import { InvalidConfig } from './config-error.js';
import { DEFAULT_WEIGHTS, type WeightOverrides, type Weights } from './weights.js';
import { resolveWeights } from './weights-resolve.js';

export { InvalidConfig };

/**
 * Every threshold, weight and cut-off of the detector, named with its unit: durations, counts and
 * thresholds here, the weights evidence is combined with grouped in `weights` (weights.ts).
 * `resolveDetectionConfig` validates a partial override at start-up and names the offending
 * option, so a bad value never reaches the hot path.
 */
export interface DetectionConfig {
  /** home market of the brokerage; "foreign" is relative to it */
  homeCountry: string;
  /** UTC offset of the home market in minutes (JST = +540), for trading days and login hours */
  homeUtcOffsetMinutes: number;
  /**
   * Autonomous systems of corporate secure web gateways (cloud proxies that employers route
   * their staff's browsing through): their exits sit in datacenters abroad and are shared by
   * thousands of offices, so a login from one says where the gateway is, not where the customer is.
   */
  secureGatewayAsns: readonly number[];
  /**
   * Autonomous systems of privacy relays that exit at the point of presence nearest the user and
   * keep the user's country (Cloudflare WARP, iCloud Private Relay through Cloudflare and Akamai):
   * such an exit in the account's home country is where the customer is, not a server hiding
   * him. Abroad it is abroad, and anonymising as any other.
   */
  locationKeepingRelayAsns: readonly number[];

  /** logins needed before an account's own history counts as established */
  establishedProfileLogins: number;
  /** a history spanning less than this (ms) is young: its device and network novelty counts half */
  youngHistoryMs: number;
  /** how long a suspicious login keeps the account in a "possibly taken over" state */
  incidentWindowMs: number;
  /**
   * a session that no login, resume or order used for this long (ms) is idle: an order in it is a
   * stored session token used again without any sign of its owner (an infostealer's cookie). A
   * night: brokerage web and app sessions expire after hours of idling, and an owner back the next
   * morning logs in or resumes first
   */
  idleSessionMs: number;
  /** login risk (0..1) at which an incident is opened */
  suspiciousLoginRisk: number;
  /** suspicious logins below this risk, with no strong signal, still teach the profile their device and network */
  learnBelowRisk: number;
  /** login risk at which account_takeover is reported on the login alone */
  takeoverAlertRisk: number;
  /** learned logins before the account's login hours say which hour is unusual */
  hourProfileMinLogins: number;
  /** failed logins within failureWindowMs before a success that count as a guessing streak */
  failureStreak: number;
  failureWindowMs: number;
  /** gap in activity within the stream after which a login counts as a return from dormancy */
  dormancyMs: number;

  /** instrument is thin when its 20-day average daily traded value is at or below this (JPY) */
  thinStockAdvJpy: number;
  /** ...or its market capitalisation is at or below this (JPY) */
  thinStockMarketCapJpy: number;
  /** a buy is a thin-stock buy from this share of adv20Jpy upward (0.005 = 0.5 %) */
  thinBuyMinAdvShare: number;
  /** share of adv20Jpy at which the size part of the thin-buy strength saturates */
  thinBuyFullAdvShare: number;
  /** limit price premium over the reference price at which aggressiveness saturates (0.1 = +10 %) */
  aggressiveLimitPremium: number;

  /** share of the snapshot holdings sold below which there is no liquidation signal */
  liquidationMinRatio: number;
  /** share at which the liquidation signal saturates */
  liquidationFullRatio: number;
  /** window over which sells are summed into a liquidation (ms) */
  liquidationWindowMs: number;
  /** symbols sold from which a liquidation counts as broad (weights.incident.liquidationBreadth) */
  liquidationBreadthSymbols: number;

  /** lowest score that is reported at all */
  minReportScore: number;
  /** score thresholds for severities */
  severityMediumScore: number;
  severityHighScore: number;
  severityCriticalScore: number;
  /** corroboration points (independent families of evidence) an account finding needs for each severity */
  mediumPoints: number;
  highPoints: number;
  criticalPoints: number;

  /** account risk at which a buyer counts as a campaign member */
  campaignMemberRisk: number;
  /** distinct member accounts on one symbol within campaignWindowMs that make a campaign */
  campaignMinAccounts: number;
  campaignWindowMs: number;
  /** campaign members at which the member-count part of a campaign's threat starts, and where it saturates */
  campaignThreatFromAccounts: number;
  campaignThreatFullAccounts: number;
  /** members' share of all buy value on the symbol in the window needed for a campaign */
  campaignMinMemberShare: number;
  /**
   * account risk at which a buyer counts as a suspect: an incident is open on it, too weak alone
   * (an in-country residential proxy on an account with little history looks like its owner)
   */
  campaignSuspectRisk: number;
  /** suspects buying one symbol within campaignWindowMs that make a campaign, with campaignMinMemberShare of its buy value */
  campaignMinSuspects: number;
  /** member accounts sharing a device or network that make a campaign on their own (one operator) */
  campaignMinSharedAccounts: number;
  /**
   * a slow campaign: members trickling in over days (each wave below campaignMinAccounts) are
   * collected this long (ms) and qualify with campaignMinAccounts members and campaignMinMemberShare
   * of the symbol's buy value over the same days
   */
  slowCampaignWindowMs: number;
  /** once a campaign qualified, a risky buyer of the symbol joins it for this long after its last member (ms) */
  campaignWatchMs: number;
  /**
   * accounts that each sold and then bought one thin symbol through the same IP range, new to
   * each of them, within exitClusterWindowMs (ms) make a campaign with campaignMinAccounts of them
   */
  exitClusterWindowMs: number;
  /**
   * how far before a confirmed campaign's first member (ms) a buyer who sold and came through a
   * range new to it is named with the campaign: a slow campaign's first wave buys before it forms
   */
  campaignLookbackMs: number;
  /** fills of the symbol before a campaign from which their median, not the previous close, is its reference price */
  referencePriceMinFills: number;
  /** price above the pre-campaign reference at which a sell counts as into the spike (0.1 = +10 %) */
  beneficiaryMinPremium: number;
  /** how far back accumulation before a campaign is looked for (ms) */
  beneficiaryLookbackMs: number;
  /** how long after a campaign's last member buy sells still count as into it (ms) */
  beneficiaryAfterMs: number;
  /** accounts younger than about this many days at the sale count as newly opened for the purpose */
  /** a seller who has traded this many distinct symbols in the stream is an active trader: its sale into a campaign stays at most medium */
  beneficiaryActiveTraderSymbols: number;
  /** distinct symbols an account has bought in the stream from which its sell-offs and small-cap buys are a habit */
  activeTraderSymbols: number;
  beneficiaryNewAccountDays: number;

  /** how long eventIds are remembered for de-duplication, in event time (ms) */
  dedupeWindowMs: number;
  /** per-account bounds on learned history */
  maxDevicesPerAccount: number;
  maxNetworksPerAccount: number;
  maxSessionsPerAccount: number;

  /** the weights and cut-offs evidence is combined with, by what they weigh (weights.ts) */
  weights: Weights;
}

/** A partial override of the defaults: flat options, and any weight of any group. */
export type DetectionOverrides = Partial<Omit<DetectionConfig, 'weights'>> & { weights?: WeightOverrides };

export const DEFAULT_DETECTION_CONFIG: Readonly<DetectionConfig> = Object.freeze({
  homeCountry: 'JP',
  homeUtcOffsetMinutes: 540,
  // Zscaler (AS22616, AS53813, AS62044), Netskope (AS55256), Palo Alto Networks Prisma Access (AS54538)
  secureGatewayAsns: Object.freeze([22616, 53813, 62044, 55256, 54538]),
  locationKeepingRelayAsns: Object.freeze([13335, 36183]),

  establishedProfileLogins: 3,
  youngHistoryMs: 86_400_000,
  incidentWindowMs: 6 * 3600_000,
  idleSessionMs: 8 * 3600_000,
  suspiciousLoginRisk: 0.3,
  learnBelowRisk: 0.4,
  takeoverAlertRisk: 0.6,
  hourProfileMinLogins: 8,
  failureStreak: 3,
  failureWindowMs: 30 * 60_000,
  dormancyMs: 60 * 24 * 3600_000,

  thinStockAdvJpy: 1_000_000_000,
  thinStockMarketCapJpy: 50_000_000_000,
  thinBuyMinAdvShare: 0.005,
  thinBuyFullAdvShare: 0.2,
  aggressiveLimitPremium: 0.1,

  liquidationMinRatio: 0.3,
  liquidationFullRatio: 0.8,
  liquidationWindowMs: 3 * 3600_000,
  liquidationBreadthSymbols: 3,

  minReportScore: 0.4,
  severityMediumScore: 0.4,
  severityHighScore: 0.6,
  severityCriticalScore: 0.8,
  mediumPoints: 2,
  highPoints: 3,
  criticalPoints: 4,

  campaignMemberRisk: 0.45,
  campaignMinAccounts: 3,
  campaignWindowMs: 2 * 3600_000,
  campaignThreatFromAccounts: 1,
  campaignThreatFullAccounts: 6,
  campaignMinMemberShare: 0.25,
  campaignSuspectRisk: 0.25,
  campaignMinSuspects: 6,
  campaignMinSharedAccounts: 2,
  slowCampaignWindowMs: 5 * 24 * 3600_000,
  campaignWatchMs: 3 * 24 * 3600_000,
  exitClusterWindowMs: 12 * 3600_000,
  campaignLookbackMs: 24 * 3600_000,
  referencePriceMinFills: 3,
  beneficiaryMinPremium: 0.1,
  beneficiaryLookbackMs: 14 * 24 * 3600_000,
  beneficiaryAfterMs: 2 * 3600_000,
  beneficiaryNewAccountDays: 120,
  beneficiaryActiveTraderSymbols: 8,
  activeTraderSymbols: 8,

  dedupeWindowMs: 24 * 3600_000,
  maxDevicesPerAccount: 6,
  maxNetworksPerAccount: 8,
  maxSessionsPerAccount: 6,

  weights: DEFAULT_WEIGHTS,
});

const SHARES: (keyof DetectionConfig)[] = [
  'suspiciousLoginRisk', 'learnBelowRisk', 'takeoverAlertRisk', 'thinBuyMinAdvShare', 'thinBuyFullAdvShare',
  'liquidationMinRatio', 'liquidationFullRatio', 'minReportScore', 'severityMediumScore',
  'severityHighScore', 'severityCriticalScore', 'campaignMemberRisk', 'campaignMinMemberShare', 'campaignSuspectRisk',
];

/** Defaults overlaid with `overrides`, validated; throws InvalidConfig naming the option. */
export function resolveDetectionConfig(overrides: DetectionOverrides = {}): DetectionConfig {
  const cfg: DetectionConfig = { ...DEFAULT_DETECTION_CONFIG, ...overrides, weights: resolveWeights(overrides.weights) };
  for (const [key, value] of Object.entries(cfg) as [keyof DetectionConfig, unknown][]) {
    if (!(key in DEFAULT_DETECTION_CONFIG)) throw new InvalidConfig(key, 'is not an option');
    if (key === 'weights') continue;
    if (Array.isArray(DEFAULT_DETECTION_CONFIG[key])) {
      if (!Array.isArray(value) || !value.every((x) => Number.isSafeInteger(x) && x > 0)) throw new InvalidConfig(key, 'must be a list of AS numbers');
      continue;
    }
    const expected = typeof DEFAULT_DETECTION_CONFIG[key];
    if (typeof value !== expected) throw new InvalidConfig(key, `must be a ${expected}, got ${typeof value}`);
    if (expected === 'number' && (!Number.isFinite(value as number) || (key !== 'homeUtcOffsetMinutes' && (value as number) < 0))) {
      throw new InvalidConfig(key, `must be a finite non-negative number, got ${String(value)}`);
    }
  }
  for (const key of SHARES) {
    if ((cfg[key] as number) > 1) throw new InvalidConfig(key, `is a share and must be within 0..1, got ${cfg[key]}`);
  }
  if (!(cfg.severityMediumScore <= cfg.severityHighScore && cfg.severityHighScore <= cfg.severityCriticalScore)) {
    throw new InvalidConfig('severityHighScore', 'severity thresholds must rise medium <= high <= critical');
  }
  if (cfg.liquidationMinRatio >= cfg.liquidationFullRatio) {
    throw new InvalidConfig('liquidationFullRatio', 'must be above liquidationMinRatio');
  }
  if (cfg.campaignMinAccounts < 2) throw new InvalidConfig('campaignMinAccounts', 'a campaign needs at least 2 accounts');
  if (cfg.campaignSuspectRisk > cfg.campaignMemberRisk) throw new InvalidConfig('campaignSuspectRisk', 'must not be above campaignMemberRisk');
  if (cfg.campaignMinSuspects < cfg.campaignMinAccounts) throw new InvalidConfig('campaignMinSuspects', 'must be at least campaignMinAccounts');
  if (cfg.campaignMinSharedAccounts < 2) throw new InvalidConfig('campaignMinSharedAccounts', 'a campaign needs at least 2 accounts');
  if (!(cfg.mediumPoints <= cfg.highPoints && cfg.highPoints <= cfg.criticalPoints)) {
    throw new InvalidConfig('highPoints', 'points for severities must rise medium <= high <= critical');
  }
  if (!(cfg.campaignThreatFromAccounts < cfg.campaignThreatFullAccounts)) {
    throw new InvalidConfig('campaignThreatFullAccounts', 'must be above campaignThreatFromAccounts');
  }
  if (cfg.slowCampaignWindowMs < cfg.campaignWindowMs) throw new InvalidConfig('slowCampaignWindowMs', 'must be at least campaignWindowMs');
  return cfg;
}
