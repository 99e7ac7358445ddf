import type { AccountSnapshot, LoginEvent } from '@kanshi/contract';
import type { DetectionConfig } from './config.js';
import type { LoginWeights } from './weights.js';
import type { AccountProfile, Origin } from './profile.js';
import { ALLOW_LISTED_DEVICE, ALLOW_LISTED_EXIT, describeEntry, LISTED_BLOCK_CODES, type LoginListing } from './list-book.js';
import { noisyOr, signal, type Signal } from './scoring.js';

export interface LoginAssessment {
  /** 0..1: how unlike the account's own history this login is */
  risk: number;
  signals: Signal[];
  /**
   * Whether the login contradicts evidence the account already has: a cookie used away from
   * the device that created it, a foreign or anonymising network for an account that never used
   * one, a guessing streak. Mere novelty (a new phone on a Japanese carrier) is not strong, nor is
   * anything on an account with no history to contradict.
   */
  strong: boolean;
  /**
   * Strong only by the network it came through (an office's or a cloud proxy's exit at home, a
   * VPN, a line abroad): what an employer's network looks like on its first visit. Such a device
   * and exit are watched, not learned; coming back together after an incident that did nothing,
   * they are the owner's. Stolen sessions, guessing, Tor, listed actors and a datacenter abroad
   * (where keylogged passwords are tried first and used days later) are never watched.
   */
  watchable: boolean;
}

// a block-listed device or address is a contradiction by an analyst's word, history or not
const STRONG_ALWAYS = new Set(['session_resume_foreign_device', 'session_resume_foreign_network', 'failures_then_success', ...Object.values(LISTED_BLOCK_CODES)]);
const STRONG_WITH_HISTORY = new Set(['session_resume_unknown_device', 'foreign_login', 'hosting_ip', 'vpn_ip', 'tor_ip', 'dormant_return_new_device']);
const BY_NETWORK_ONLY = new Set(['foreign_login', 'hosting_ip', 'vpn_ip']);

/**
 * Access that contradicts the account by more than the network it came through: a session
 * resumed where it was not created, a token moved to another channel, a guessing streak, a
 * datacenter abroad, a listed actor. A traveller's hotel VPN, an office gateway or a customer's
 * other terminal shows none of these. Wider on purpose than the hold policy's CONTRADICTING_ACCESS
 * (hold-corroboration.ts), which leaves out a datacenter abroad and a resume from another network:
 * a hold stops a customer, this only lets a small buy count.
 */
export function contradictsAccount(signals: readonly { code: string }[]): boolean {
  return signals.some((s) => STRONG_ALWAYS.has(s.code) || s.code === 'datacenter_abroad' || s.code === 'session_channel_switch');
}

/**
 * How far a successful login departs from the account's own history. Each signal alone is
 * weak (travellers, new phones, VPN users exist); they are combined with noisy-OR, and the
 * weights of novelty shrink where the account's history explains it. That history is what the
 * logins judged genuine taught; a device or place seen only in suspicious logins stays out of it,
 * so a reason says "not in its history", never "first seen" (a traveller's third day on a hotel's
 * datacenter range is not a first sighting).
 */
export function assessLogin(
  login: LoginEvent,
  o: Origin,
  profile: AccountProfile,
  snapshot: AccountSnapshot | undefined,
  cfg: DetectionConfig,
  listing: LoginListing | null = null,
): LoginAssessment {
  const w = cfg.weights.login;
  const signals: Signal[] = listing ? listedSignals(login, listing, profile.knowsDevice(o.device), w) : [];
  const established = profile.isEstablished(cfg);
  // a history of a few hours (the stream's first day, a new account) knows few of the owner's
  // devices and lines yet: its novelty counts half, while what contradicts any history counts whole
  const novelty = established && profile.lastSeen - profile.firstSeen < cfg.youngHistoryMs ? 0.5 : 1;
  // allow-listed: the account's known device, an exit known for every account (lists.ts)
  const knownDevice = profile.knowsDevice(o.device) || listing?.device != null;
  const allowedExit = listing?.exit != null;
  const knownNetwork = allowedExit || profile.networks.includes(o.network);
  const knownAsn = allowedExit || (o.asn !== 0 && profile.asns.includes(o.asn));
  const home = snapshot?.homeCountry ?? cfg.homeCountry;
  // an employer's cloud proxy: its country is the proxy's, and it is nobody's anonymiser; an
  // allow-listed exit likewise says nothing of where the customer is
  const gateway = allowedExit || (o.asn !== 0 && cfg.secureGatewayAsns.includes(o.asn));

  if (login.authMethod === 'session_resume') {
    // the account's own network, not an allow-listed exit: a corporate exit is nobody's home
    const homeNetwork = profile.networks.includes(o.network) && o.asn !== 0 && profile.asns.includes(o.asn);
    signals.push(...assessResume(login, o, profile, { established, knownDevice, homeNetwork, gateway, home }, w));
  } else if (established && !knownDevice) {
    signals.push(
      o.device === 0
        ? signal('device_missing', w.deviceMissing, 'Login carried no device fingerprint, unlike this account\'s history.')
        : signal('new_device', novelty * (knownAsn ? w.newDeviceKnownNetwork : w.newDevice), `Device ${login.deviceId} is in none of the ${profile.logins} logins of this account's history${novelty < 1 ? `, all within ${Math.max(1, Math.round((profile.lastSeen - profile.firstSeen) / 3_600_000))} h` : ''}.`),
    );
  }

  if (established && !knownAsn && o.asn !== 0) {
    signals.push(signal('new_network', novelty * (knownDevice ? w.newNetworkKnownDevice : w.newNetwork), `Network AS${o.asn} (${login.ip}) is not in this account's history.`));
  } else if (established && !knownNetwork && !knownDevice && o.device !== 0) {
    signals.push(signal('new_ip_range', w.newIpRange, `IP range of ${login.ip} is not in this account's history.`));
  }

  const country = gateway ? '' : login.country ?? '';
  if (gateway && !knownAsn) {
    signals.push(signal('secure_web_gateway', w.secureWebGateway, `Login through a corporate secure web gateway (AS${o.asn}, ${login.country ?? '?'}): the employer's proxy, not the customer's location.`));
  }
  // the brokerage's own market is no customer's abroad: one who lives elsewhere and holds an
  // account here has ties to it (work, family, trips), and a brokerage that blocks foreign
  // addresses puts every attacker there too, so its country tells the two apart for no account
  if (country && country !== home && country !== cfg.homeCountry && !profile.countries.includes(country)) {
    // a traveller brings their own phone; an attacker abroad does not
    const weight = knownDevice ? w.foreignLoginKnownDevice : established ? w.foreignLogin : w.foreignLoginNoHistory;
    signals.push(signal('foreign_login', weight, `Login from ${country}, abroad for a ${home} account and not in its history${knownDevice ? ' (known device)' : ''}.`));
  }

  // a relay that keeps the user's country, exiting at home: the customer's own phone or PC
  const relayAtHome = o.asn !== 0 && cfg.locationKeepingRelayAsns.includes(o.asn) && login.country === home;
  if (o.anonymising && !gateway && !relayAtHome && !profile.usesAnonymisingNetworks) {
    const weight = login.ipType === 'tor' ? w.torIp : login.ipType === 'hosting' ? (knownDevice ? w.hostingIpKnownDevice : w.hostingIp) : knownDevice ? w.vpnIpKnownDevice : w.vpnIp;
    signals.push(signal(`${login.ipType}_ip`, weight, `Login through a ${login.ipType} address (${login.ip}), not this account's habit.`));
  }

  if (country && country !== home && !profile.countries.includes(country) && (login.ipType === 'hosting' || login.ipType === 'tor') && !knownDevice) {
    // each alone has innocent readings (travel, privacy); together they rarely do
    signals.push(signal('datacenter_abroad', w.datacenterAbroad, `A ${home} customer's account reached from a datacenter in ${country}: neither home nor a traveller's network.`));
  }

  // the owner's habit on their own device is a weakness of the account (its vulnerability), not
  // a sign that someone else is in: else a password-only customer is never familiar
  if (login.authMethod === 'legacy_password_only' && !(established && knownDevice)) {
    signals.push(signal('legacy_password_only', w.legacyPasswordOnly, 'Password-only legacy login: no second factor was asked.'));
  }

  const failures = profile.recentFailures(login.ts, cfg);
  if (failures >= cfg.failureStreak && !knownDevice) {
    signals.push(signal('failures_then_success', w.failuresThenSuccess, `${failures} failed attempts within ${cfg.failureWindowMs / 60_000} min, then success from an unknown device.`));
  }

  if (login.channel === 'api' && established && !profile.usesApi) {
    signals.push(signal('new_channel_api', w.newChannelApi, 'First login through the API channel: scripted access is new for this account.'));
  }

  if (profile.lastSeen > 0 && login.ts - profile.lastSeen >= cfg.dormancyMs && !knownDevice) {
    const days = Math.round((login.ts - profile.lastSeen) / 86_400_000);
    signals.push(signal('dormant_return_new_device', w.dormantReturnNewDevice, `First activity in ${days} days, from an unknown device.`));
  }

  const share = profile.hourShare(login.ts, cfg);
  if (share !== null && share < w.unusualHourMaxShare && !knownDevice) {
    signals.push(signal('unusual_hour', w.unusualHour, 'Login at an hour this account has almost never used.'));
  }

  const history = profile.logins > 0;
  const codes = new Set(signals.map((s) => s.code));
  // with no history, the snapshot still says where the customer lives: a datacenter abroad is no home
  // (only against history: without it, a corporate or cloud web proxy abroad looks the same)
  const datacenterAbroad = history && codes.has('foreign_login') && (codes.has('hosting_ip') || codes.has('tor_ip'));
  const strong = datacenterAbroad || signals.some((s) => STRONG_ALWAYS.has(s.code) || (history && STRONG_WITH_HISTORY.has(s.code)));
  const watchable = strong && !datacenterAbroad && signals.every((s) => BY_NETWORK_ONLY.has(s.code) || !(STRONG_ALWAYS.has(s.code) || STRONG_WITH_HISTORY.has(s.code)));
  return { risk: noisyOr(...signals.map((s) => s.weight)), signals, strong, watchable };
}

/**
 * A home-country mobile carrier: where a phone is whenever it leaves the Wi-Fi. A thief replays a
 * cookie or logs in from his proxy or server, not from the victim's carrier.
 */
export function onHomeCarrier(login: LoginEvent, home: string): boolean {
  return login.ipType === 'mobile' && (login.country ?? home) === home;
}

/** What assessLogin already knows of the account and the exit, as a resume is judged against it. */
interface ResumeContext {
  established: boolean;
  knownDevice: boolean;
  /** the account's own network (prefix and ASN), not an allow-listed exit */
  homeNetwork: boolean;
  /** an employer's secure web gateway or an allow-listed exit */
  gateway: boolean;
  home: string;
}

/** A resumed session should come from the device and network that created it: else a stolen cookie. */
function assessResume(login: LoginEvent, o: Origin, profile: AccountProfile, c: ResumeContext, w: LoginWeights): Signal[] {
  const { established, knownDevice, homeNetwork, gateway, home } = c;
  const created = profile.session(login.sessionId);
  if (created) {
    if (created.device !== 0 && o.device !== 0 && created.device !== o.device) {
      return [signal('session_resume_foreign_device', w.sessionResumeForeignDevice, `Session ${login.sessionId} resumed from device ${login.deviceId ?? '?'}, not the device that created it: a stolen session cookie skips password and MFA.`)];
    }
    // the device that created it, now on the account's own network (a phone come home from its
    // carrier) or on a home-country mobile carrier (a phone leaving the Wi-Fi, what phones do all
    // day): a thief replays a cookie from his proxy or server, not from either
    const carrier = onHomeCarrier(login, home);
    // ... or through an employer's secure web gateway (a laptop carried to the office): every
    // employee's browser exits there, and a thief replaying a cookie does not
    if (created.asn !== 0 && o.asn !== 0 && created.asn !== o.asn && !knownDevice && !homeNetwork && !carrier && !gateway) {
      return [signal('session_resume_foreign_network', w.sessionResumeForeignNetwork, `Session ${login.sessionId} resumed from AS${o.asn}, not the network that created it, without a known device.`)];
    }
    return [];
  }
  if (knownDevice) return [];
  if (established && homeNetwork) {
    // the account's own network (its IPv6 site, its IPv4 /24 on its ASN): a household's second
    // device, whose cookie a thief would have to replay from inside the customer's home
    return [signal('session_resume_home_network', w.sessionResumeHomeNetwork, `Session resumed from device ${login.deviceId ?? '(none)'} unknown to this account, on the account's own network ${login.ip}.`)];
  }
  if (established) {
    return [signal('session_resume_unknown_device', w.sessionResumeUnknownDevice, `Session resumed from device ${login.deviceId ?? '(none)'} unknown to this account, with no password step.`)];
  }
  return [signal('session_resume_unverified', w.sessionResumeUnverified, 'Session resumed without a password step, and the account has no history to check the device against.')];
}

/**
 * The lists' say on a login: a block-listed device or address is a signal weighted in
 * weights.login; an allow-listed exit or device is a weightless reason, so the analyst reading
 * the finding sees which novelty was not counted and on whose word.
 */
function listedSignals(login: LoginEvent, listing: LoginListing, deviceKnown: boolean, w: LoginWeights): Signal[] {
  const out: Signal[] = [];
  for (const e of listing.blocked) {
    const weight = e.target === 'device' ? w.listedBlockDevice : e.target === 'ip' ? w.listedBlockIp : e.target === 'prefix' ? w.listedBlockPrefix : w.listedBlockAsn;
    const what = e.target === 'device' ? `Device ${login.deviceId}` : e.target === 'asn' ? `Network AS${login.asn} (${login.ip})` : e.target === 'prefix' ? `Address ${login.ip} (in ${e.value})` : `Address ${login.ip}`;
    out.push(signal(LISTED_BLOCK_CODES[e.target], weight, `${what} is on the block list, ${describeEntry(e)}.`));
  }
  if (listing.exit) {
    out.push(signal(ALLOW_LISTED_EXIT, 0, `Exit ${login.ip} (AS${login.asn ?? '?'}) is allow-listed (${listing.exit.target} ${listing.exit.value}), so not counted as a new, foreign or anonymising network: ${describeEntry(listing.exit)}.`));
  }
  if (listing.device && !deviceKnown) {
    out.push(signal(ALLOW_LISTED_DEVICE, 0, `Device ${login.deviceId} is allow-listed for this account, so not counted as new: ${describeEntry(listing.device)}.`));
  }
  return out;
}
