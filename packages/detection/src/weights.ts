/**
 * Every weight and cut-off the detector combines evidence with, grouped by what it weighs.
 * Unless a comment says otherwise a value is a share or a probability, within 0..1; a signal's
 * weight is its chance in the noisy-OR. Event-time durations and counts live in the flat
 * DetectionConfig.
 */
export interface LoginWeights {
  /** an established account's login without a device fingerprint */
  deviceMissing: number;
  /** an established account's first login from a device, on a network it never used */
  newDevice: number;
  /** ...on a network (ASN) it has used */
  newDeviceKnownNetwork: number;
  /** an ASN the established account never used, from an unknown device */
  newNetwork: number;
  /** ...from a known device */
  newNetworkKnownDevice: number;
  /** an IP range never seen, from an unknown device on a known ASN */
  newIpRange: number;
  /** a login through a corporate secure web gateway the account never used */
  secureWebGateway: number;
  /** a country never seen, abroad, from an unknown device of an established account */
  foreignLogin: number;
  /** ...from a known device (a traveller) */
  foreignLoginKnownDevice: number;
  /** ...from an unknown device of an account without established history */
  foreignLoginNoHistory: number;
  /** a Tor exit, for an account that never used an anonymising network */
  torIp: number;
  /** a hosting (datacenter) address, from an unknown device */
  hostingIp: number;
  /** ...from a known device */
  hostingIpKnownDevice: number;
  /** another anonymising address (VPN), from an unknown device */
  vpnIp: number;
  /** ...from a known device */
  vpnIpKnownDevice: number;
  /** a datacenter or Tor exit abroad, new country, unknown device */
  datacenterAbroad: number;
  /** a password-only legacy login, unless the established account's own device */
  legacyPasswordOnly: number;
  /** a success from an unknown device after a guessing streak */
  failuresThenSuccess: number;
  /** an established account's first API login */
  newChannelApi: number;
  /** a return from dormancy on an unknown device */
  dormantReturnNewDevice: number;
  /** a login at an hour the account has almost never used, from an unknown device */
  unusualHour: number;
  /** share of the account's learned logins at that hour below which the hour is unusual */
  unusualHourMaxShare: number;
  /** a known session resumed from another device than the one that created it */
  sessionResumeForeignDevice: number;
  /** a known session resumed from another ASN, no known device, off the home network */
  sessionResumeForeignNetwork: number;
  /** an unknown session resumed on the established account's own network */
  sessionResumeHomeNetwork: number;
  /** an unknown session resumed from an unknown device of an established account */
  sessionResumeUnknownDevice: number;
  /** an unknown session resumed on an account without history */
  sessionResumeUnverified: number;
  /** an account change from another device in a known session, with no login of its own */
  sessionUsedForeignDevice: number;
  /** an order through another channel than its session's login */
  sessionChannelSwitch: number;
  /** an order in a session nothing used for config.idleSessionMs: a stored token replayed without a login */
  idleSessionReuse: number;
  /** a login from a block-listed device (list-book.ts); ...IP; ...IP in a listed prefix; ...listed ASN */
  listedBlockDevice: number;
  listedBlockIp: number;
  listedBlockPrefix: number;
  listedBlockAsn: number;
}

/** Weight of each account change made during a suspicious session. */
export interface ControlWeights {
  /** notifications turned off or redirected */
  notificationChange: number;
  /** e-mail address changed */
  emailChange: number;
  /** phone number changed */
  phoneChange: number;
  /** MFA re-registered */
  mfaChange: number;
  /** bank account for withdrawals changed */
  bankAccountChange: number;
  /** a withdrawal requested */
  withdrawalRequest: number;
  /** password changed */
  passwordChange: number;
  /** postal address changed */
  addressChange: number;
}

/** Cut-offs and weights of stage 1's findings (account-stage.ts). */
export interface TakeoverWeights {
  /** control strength that, with a suspicious login, reports account_takeover */
  takeoverMinControl: number;
  /** weight of the control strength in the account_takeover threat */
  takeoverControl: number;
  /** liquidation strength below which takeover_liquidation is not reported */
  liquidationMinStrength: number;
  /** login risk below which takeover_liquidation is not reported */
  liquidationMinLoginRisk: number;
  /** weight of the control strength in the takeover_liquidation threat */
  liquidationControl: number;
  /** weight of the liquidation strength in the takeover_liquidation threat */
  liquidationStrength: number;
  /** exponent added per corroboration point beyond the first (threat sharpening; not a share) */
  corroborationExponent: number;
  /** session login risk up to which an established account's known device is familiar */
  familiarMaxRisk: number;
}

/** Corroboration points, threat weights and the scheme's shape of one incident (incident.ts). */
export interface IncidentWeights {
  /** login risk that counts as strong access: two points */
  strongAccessLoginRisk: number;
  /** login risk that counts as access: one point, and full weight for the control changes */
  accessLoginRisk: number;
  /** control strength that adds a point, and counts as access in the scheme's shape */
  controlPointStrength: number;
  /** liquidation strength that adds a point */
  liquidationPointStrength: number;
  /** liquidate-then-buy-thin pattern strength that adds a point */
  patternPointStrength: number;
  /** thin-buy strength that counts after access contradicting the account */
  thinBuyBarStrongAccess: number;
  /** thin-buy strength that counts otherwise */
  thinBuyBar: number;
  /** weight of the control strength in the threat, after access */
  control: number;
  /** ...without access */
  controlWeakAccess: number;
  /** weight of the liquidation strength in the threat and its reason */
  liquidation: number;
  /** weight of the thin-buy strength in the threat */
  thinBuy: number;
  /** weight of the liquidate-then-buy-thin pattern in the threat and its reason */
  pattern: number;
  /** factor on the threat of a familiar session with little login risk */
  familiarFactor: number;
  /** login risk below which a familiar session's threat is scaled down */
  familiarMaxLoginRisk: number;
  /** liquidation strength of a sale of holdings at the saturation ratio, before breadth and haste */
  liquidationBase: number;
  /** added to it when liquidationBreadthSymbols or more symbols were sold */
  liquidationBreadth: number;
  /** added to it when at least hasteMarketShare of the sells were at market */
  liquidationHaste: number;
  /** share of market orders among the sells that counts as haste */
  hasteMarketShare: number;
  /** pattern ramp start, as a multiple of liquidationMinRatio (not a share) */
  patternRampFrom: number;
  /** pattern ramp end, as a multiple of liquidationMinRatio (not a share) */
  patternRampTo: number;
  /** share of holdings sold for the scheme's shape (at least liquidationMinRatio) */
  schemeMinSoldShare: number;
  /** thin-buy strength for the scheme's shape */
  schemeMinThinBuy: number;
  /** pattern strength for the scheme's shape */
  schemeMinPattern: number;
  /** thin buy value as a multiple of the sold value for the scheme's shape (not a share) */
  schemeMinBuyOfSold: number;
  /** login risk that counts as someone else's access in the scheme's shape */
  schemeAccessLoginRisk: number;
}

/** How easily the account's protection is beaten: the vulnerability in risk = threat x vulnerability x impact. */
export interface VulnerabilityWeights {
  /** account without MFA */
  mfaNone: number;
  /** account with SMS codes */
  mfaSms: number;
  /** account with an authenticator app */
  mfaApp: number;
  /** account with a passkey */
  mfaPasskey: number;
  /** account whose MFA setting is not known */
  mfaUnknown: number;
  /** access by a resumed session (skips password and MFA) */
  authSessionResume: number;
  /** access by a legacy password-only login */
  authLegacyPasswordOnly: number;
  /** access by password */
  authPassword: number;
  /** access by password and an SMS code */
  authPasswordOtpSms: number;
  /** access by password and an app code */
  authPasswordOtpApp: number;
  /** access by passkey */
  authPasskey: number;
}

/** The strength of a thin-stock buy (thin-buy.ts). */
export interface ThinBuyWeights {
  /** part of the strength a buy of its size has before aggressiveness, unusual size and novelty */
  base: number;
  /** part for a limit at or above aggressiveLimitPremium */
  aggressive: number;
  /** part for a size far beyond the account's typical order */
  unusualSize: number;
  /** part for a symbol the account never bought */
  newSymbol: number;
  /** aggressiveness assumed for a market order */
  marketOrderAggressiveness: number;
  /** unusual-size factor assumed without a typical order */
  unknownTypicalUnusualSize: number;
  /** log10 of the multiple of the typical order where unusual size starts (not a share) */
  unusualSizeFromLog10: number;
  /** log10 of the multiple where it saturates (not a share) */
  unusualSizeToLog10: number;
  /** weight of the strength in the thin_stock_buy reason */
  signal: number;
  /** share of aggressiveLimitPremium from which the limit is noted as aggressive */
  aggressiveNoteShare: number;
  /** multiple of the typical order from which the size is noted as unusual (not a share) */
  unusualSizeNoteMultiple: number;
  /** share of the proceeds of the sell-off just before from which a buy counts as going all-in */
  allInFrom: number;
  /** share of those proceeds where the all-in size saturates */
  allInTo: number;
  /**
   * strength of an all-in buy too small for the stock to notice: below the thin-buy bars
   * (incident.thinBuyBar, schemeMinThinBuy), so it opens an incident and makes its buyer a
   * campaign member, but alone never completes the scheme's shape
   */
  allInStrength: number;
  /**
   * strength of a buy of a thin stock the account never bought, too small for the stock to
   * notice, in an incident whose access contradicted the account: at the strong-access bar
   * (incident.thinBuyBarStrongAccess), so it is the scheme's next step after such access only
   */
  contradictedNewSymbolStrength: number;
}

/** The takeover prior of an account whose history cannot speak (prior.ts). */
export interface PriorWeights {
  /** part for an account without MFA */
  mfaNone: number;
  /** part for SMS codes */
  mfaSms: number;
  /** part for an authenticator app */
  mfaApp: number;
  /** part for a passkey */
  mfaPasskey: number;
  /** part for an unknown MFA setting */
  mfaUnknown: number;
  /** part for a session opened by a legacy password-only login */
  authLegacyPasswordOnly: number;
  /** part for a password login */
  authPassword: number;
  /** part for a resumed session */
  authSessionResume: number;
  /** part for password and an SMS code */
  authPasswordOtpSms: number;
  /** part for password and an app code */
  authPasswordOtpApp: number;
  /** part for a passkey login */
  authPasskey: number;
  /** part for the API channel */
  api: number;
  /** part for fewer logins in the stream than establishedProfileLogins */
  thinHistory: number;
  /** part for a session from a device and a network new to the account */
  novelDeviceAndNetwork: number;
  /** the prior never exceeds this (below suspiciousLoginRisk: trading carries the rest) */
  cap: number;
}

/** The threat of a pump campaign (symbol-stage.ts). */
export interface CampaignWeights {
  /** weight of the member count, ramped from campaignThreatFromAccounts to campaignThreatFullAccounts */
  members: number;
  /** weight of the members' share of the symbol's buy value */
  memberShare: number;
  /** weight of the campaign's buy value against the 20-day average daily value */
  advShare: number;
  /** share of the 20-day average daily value where that part starts (not capped at 1) */
  advShareFrom: number;
  /** ...and where it saturates (not capped at 1) */
  advShareTo: number;
  /** weight of the members' mean account risk */
  meanRisk: number;
  /** part when members share a device fingerprint */
  sharedDevice: number;
  /** part when members share only an IP range */
  sharedNetwork: number;
  /** account risk of a member that counts towards "many risky members" (lifts the medium cap) */
  riskyMemberRisk: number;
  /**
   * days of the stock's average daily traded value (adv20Jpy) the members bought, from which their
   * buying confirms the campaign as a price move would: a slow pump nudges the price, not the volume
   */
  volumeConfirmsAdvDays: number;
  /** vulnerability a campaign finding is scored with (its accounts' own is in their findings) */
  vulnerability: number;
}

/** The threat of a dump beneficiary (symbol-stage.ts). */
export interface BeneficiaryWeights {
  /** share of the held quantity accumulated before the campaign where "recent" starts */
  accumulatedFrom: number;
  /** ...and where it saturates */
  accumulatedTo: number;
  /** "recent" at or above which the premium needed is halved */
  recentHalvesPremium: number;
  /** factor on beneficiaryMinPremium for a recently built stake */
  recentPremiumFactor: number;
  /** share of the campaign's buy value sold where that part starts */
  soldShareFrom: number;
  /** ...and where it saturates */
  soldShareTo: number;
  /** premium over the pre-campaign price where the premium part saturates (not a share) */
  premiumFull: number;
  /** share of the campaign's buy value a seller supplied from which its sale names it (at medium) without the spike */
  suppliedShare: number;
  /** newly-opened ramp start, as a multiple of beneficiaryNewAccountDays (not a share) */
  newAccountFrom: number;
  /** newly-opened ramp end, as a multiple of beneficiaryNewAccountDays (not a share) */
  newAccountTo: number;
  /** stake held, in days of average traded value, where the stake part starts (not a share) */
  stakeFromDays: number;
  /** ...and where it saturates (not a share) */
  stakeToDays: number;
  /** weight of recent accumulation */
  recent: number;
  /** weight of the share of the campaign's buying sold into */
  soldShare: number;
  /** weight of the premium */
  premium: number;
  /** part when a recent stake was sold into the campaign */
  recentAndSold: number;
  /** weight of a newly opened account */
  fresh: number;
  /** weight of an illiquid stake */
  stake: number;
  /** vulnerability a beneficiary finding is scored with (the account is the scheme's, not its victim) */
  vulnerability: number;
}

/** risk = threat x vulnerability x impact, the last two scaling the threat (scoring.ts). */
export interface ScoreWeights {
  /** score factor at vulnerability 0 */
  vulnerabilityFloor: number;
  /** what vulnerability 1 adds to it */
  vulnerabilitySpan: number;
  /** score factor at impact 0 */
  impactFloor: number;
  /** what impact 1 adds to it */
  impactSpan: number;
  /** log10 of the JPY amount of impact 0 (not a share) */
  impactFromLog10Jpy: number;
  /** log10 of the JPY amount of impact 1 (not a share) */
  impactToLog10Jpy: number;
}

export interface Weights {
  readonly login: Readonly<LoginWeights>;
  readonly control: Readonly<ControlWeights>;
  readonly takeover: Readonly<TakeoverWeights>;
  readonly incident: Readonly<IncidentWeights>;
  readonly vulnerability: Readonly<VulnerabilityWeights>;
  readonly thinBuy: Readonly<ThinBuyWeights>;
  readonly prior: Readonly<PriorWeights>;
  readonly campaign: Readonly<CampaignWeights>;
  readonly beneficiary: Readonly<BeneficiaryWeights>;
  readonly score: Readonly<ScoreWeights>;
}

/** A partial override: any group, any of its keys. */
export type WeightOverrides = { readonly [G in keyof Weights]?: Partial<Weights[G]> };

export const DEFAULT_WEIGHTS: Weights = Object.freeze({
  login: Object.freeze({
    deviceMissing: 0.15, newDevice: 0.35, newDeviceKnownNetwork: 0.3, newNetwork: 0.2, newNetworkKnownDevice: 0.1,
    newIpRange: 0.05, secureWebGateway: 0.05, foreignLogin: 0.3, foreignLoginKnownDevice: 0.05, foreignLoginNoHistory: 0.2,
    torIp: 0.45, hostingIp: 0.3, hostingIpKnownDevice: 0.1, vpnIp: 0.2, vpnIpKnownDevice: 0.05, datacenterAbroad: 0.25,
    legacyPasswordOnly: 0.15, failuresThenSuccess: 0.25, newChannelApi: 0.15, dormantReturnNewDevice: 0.15,
    unusualHour: 0.1, unusualHourMaxShare: 0.02,
    sessionResumeForeignDevice: 0.6, sessionResumeForeignNetwork: 0.35, sessionResumeHomeNetwork: 0.15,
    sessionResumeUnknownDevice: 0.45, sessionResumeUnverified: 0.15, sessionUsedForeignDevice: 0.6, sessionChannelSwitch: 0.45,
    idleSessionReuse: 0.45,
    // a device or address is one actor's; a prefix or an ASN is shared with customers
    listedBlockDevice: 0.7, listedBlockIp: 0.6, listedBlockPrefix: 0.45, listedBlockAsn: 0.3,
  }),
  control: Object.freeze({
    notificationChange: 0.35, emailChange: 0.4, phoneChange: 0.4, mfaChange: 0.45, bankAccountChange: 0.5,
    withdrawalRequest: 0.3, passwordChange: 0.3, addressChange: 0.15,
  }),
  takeover: Object.freeze({
    takeoverMinControl: 0.2, takeoverControl: 0.5, liquidationMinStrength: 0.3, liquidationMinLoginRisk: 0.25,
    liquidationControl: 0.5, liquidationStrength: 0.45, corroborationExponent: 0.5, familiarMaxRisk: 0.1,
  }),
  incident: Object.freeze({
    strongAccessLoginRisk: 0.5, accessLoginRisk: 0.25, controlPointStrength: 0.2, liquidationPointStrength: 0.3,
    patternPointStrength: 0.6, thinBuyBarStrongAccess: 0.1, thinBuyBar: 0.3,
    control: 0.5, controlWeakAccess: 0.2, liquidation: 0.35, thinBuy: 0.45, pattern: 0.5, familiarFactor: 0.3, familiarMaxLoginRisk: 0.1,
    liquidationBase: 0.7, liquidationBreadth: 0.15, liquidationHaste: 0.15, hasteMarketShare: 0.5, patternRampFrom: 0.5, patternRampTo: 1.5,
    schemeMinSoldShare: 0.5, schemeMinThinBuy: 0.3, schemeMinPattern: 0.3, schemeMinBuyOfSold: 0.25, schemeAccessLoginRisk: 0.45,
  }),
  vulnerability: Object.freeze({
    mfaNone: 1, mfaSms: 0.8, mfaApp: 0.5, mfaPasskey: 0.2, mfaUnknown: 0.7,
    authSessionResume: 1, authLegacyPasswordOnly: 1, authPassword: 0.9, authPasswordOtpSms: 0.7, authPasswordOtpApp: 0.5, authPasskey: 0.2,
  }),
  thinBuy: Object.freeze({
    base: 0.4, aggressive: 0.25, unusualSize: 0.2, newSymbol: 0.15, marketOrderAggressiveness: 0.5, unknownTypicalUnusualSize: 0.5,
    unusualSizeFromLog10: 0.3, unusualSizeToLog10: 1.3, signal: 0.45, aggressiveNoteShare: 0.5, unusualSizeNoteMultiple: 5,
    allInFrom: 0.5, allInTo: 0.9, allInStrength: 0.25, contradictedNewSymbolStrength: 0.1,
  }),
  prior: Object.freeze({
    mfaNone: 0.2, mfaSms: 0.12, mfaApp: 0.05, mfaPasskey: 0, mfaUnknown: 0.1,
    authLegacyPasswordOnly: 0.15, authPassword: 0.1, authSessionResume: 0.1, authPasswordOtpSms: 0.05, authPasswordOtpApp: 0, authPasskey: 0,
    api: 0.08, thinHistory: 0.1, novelDeviceAndNetwork: 0.12, cap: 0.28,
  }),
  campaign: Object.freeze({
    members: 0.6, memberShare: 0.4, advShare: 0.4, advShareFrom: 0.05, advShareTo: 1, meanRisk: 0.5,
    sharedDevice: 0.4, sharedNetwork: 0.15, riskyMemberRisk: 0.6, volumeConfirmsAdvDays: 1, vulnerability: 1,
  }),
  beneficiary: Object.freeze({
    accumulatedFrom: 0.2, accumulatedTo: 0.8, recentHalvesPremium: 0.5, recentPremiumFactor: 0.5, soldShareFrom: 0.02, soldShareTo: 0.3,
    premiumFull: 0.4, suppliedShare: 0.4, newAccountFrom: 0.5, newAccountTo: 2, stakeFromDays: 0.05, stakeToDays: 0.5,
    recent: 0.5, soldShare: 0.45, premium: 0.3, recentAndSold: 0.3, fresh: 0.35, stake: 0.3, vulnerability: 1,
  }),
  score: Object.freeze({
    vulnerabilityFloor: 0.7, vulnerabilitySpan: 0.3, impactFloor: 0.7, impactSpan: 0.3, impactFromLog10Jpy: 5, impactToLog10Jpy: 8,
  }),
});
