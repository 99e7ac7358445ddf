import type { AccountSnapshot, AuthMethod, Channel } from '@kanshi/contract';
import type { DetectionConfig } from './config.js';
import { byAuthMethod, byMfa, noisyOr, signal, type Signal } from './scoring.js';

/** What a session was opened with, kept per account for a takeover no login gave away. */
export interface AccessContext {
  authMethod: AuthMethod | null;
  channel: Channel | null;
  /** logins of the account's own history when the session opened */
  historyLogins: number;
  /** the session's device and network were new to that history */
  novelDevice: boolean;
  novelNetwork: boolean;
}

const AUTH_METHODS: readonly AuthMethod[] = ['password', 'password_otp_sms', 'password_otp_app', 'passkey', 'session_resume', 'legacy_password_only'];
const CHANNELS: readonly Channel[] = ['web', 'app', 'api'];

/**
 * An AccessContext in one small integer: every account that logs in keeps one, and an object
 * each would cost a million accounts ~50 MB.
 */
export function packAccess(authMethod: AuthMethod, channel: Channel, historyLogins: number, novelDevice: boolean, novelNetwork: boolean): number {
  const a = AUTH_METHODS.indexOf(authMethod) + 1;
  const c = CHANNELS.indexOf(channel) + 1;
  return a | (c << 3) | (Math.min(historyLogins, 255) << 5) | (novelDevice ? 1 << 13 : 0) | (novelNetwork ? 1 << 14 : 0);
}

export function unpackAccess(packed: number): AccessContext | null {
  if (packed < 0) return null;
  return {
    authMethod: AUTH_METHODS[(packed & 7) - 1] ?? null,
    channel: CHANNELS[((packed >> 3) & 3) - 1] ?? null,
    historyLogins: (packed >> 5) & 255,
    novelDevice: (packed & (1 << 13)) !== 0,
    novelNetwork: (packed & (1 << 14)) !== 0,
  };
}


/**
 * A takeover prior for an account whose own history cannot speak: where the stream holds few
 * or no logins of it, "no login anomaly" means nothing was there to contradict, not that the
 * access was the owner's. The prior rises with what phishing relays and stolen cookies beat
 * (no MFA or SMS codes, password-only or cookie access), with a session from a device and
 * network the account never used, and with scripted (API) access; it never reaches the
 * suspicious-login level alone: the trading that follows has to carry the rest.
 */
export function takeoverPrior(snapshot: AccountSnapshot | undefined, access: AccessContext | null, cfg: DetectionConfig): Signal {
  const w = cfg.weights.prior;
  const mfa = snapshot?.mfa ?? 'unknown';
  const parts = [byMfa(mfa, w)];
  const said: string[] = [`MFA ${mfa}`];
  if (access?.authMethod) {
    parts.push(byAuthMethod(access.authMethod, w));
    said.push(`${access.authMethod.replace(/_/g, ' ')} login`);
  }
  if (access?.channel === 'api') {
    parts.push(w.api);
    said.push('API channel');
  }
  const thin = !access || access.historyLogins < cfg.establishedProfileLogins;
  if (thin) {
    parts.push(w.thinHistory);
    said.push(access ? `${access.historyLogins} earlier logins in the stream` : 'no login in the stream');
  } else if (access.novelDevice && access.novelNetwork) {
    parts.push(w.novelDeviceAndNetwork);
    said.push('session from a device and network new to the account');
  }
  const weight = Math.round(Math.min(w.cap, noisyOr(...parts)) * 1000) / 1000;
  return signal('takeover_prior', weight,
    `No login contradicted the account's history, so the access is judged by what it was: ${said.join(', ')} (prior ${weight.toFixed(2)}).`);
}
