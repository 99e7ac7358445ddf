import type { AuthMethod, Reason, Severity } from '@kanshi/contract';
import type { DetectionConfig } from './config.js';
import type { ScoreWeights } from './weights.js';

/** Combine independent pieces of evidence: the chance that at least one is real. */
export function noisyOr(...p: number[]): number {
  let miss = 1;
  let only = 0;
  let n = 0;
  for (const x of p) {
    const c = clamp01(x);
    if (c === 0) continue;
    miss *= 1 - c;
    only = c;
    n++;
  }
  // one piece of evidence is itself: 1 - (1 - 0.45) is 0.44999999999999996 in floating point,
  // and a risk of one signal must meet the threshold set at that signal's weight
  return n === 1 ? only : 1 - miss;
}

export function clamp01(x: number): number {
  return x <= 0 || Number.isNaN(x) ? 0 : x >= 1 ? 1 : x;
}

/** Linear ramp: 0 at `from`, 1 at `to`. */
export function ramp(x: number, from: number, to: number): number {
  return clamp01((x - from) / (to - from));
}

export const SEVERITY_ORDER: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function severityOf(score: number, cfg: DetectionConfig): Severity {
  if (score >= cfg.severityCriticalScore) return 'critical';
  if (score >= cfg.severityHighScore) return 'high';
  if (score >= cfg.severityMediumScore) return 'medium';
  return 'low';
}

export function minSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_ORDER[a] <= SEVERITY_ORDER[b] ? a : b;
}

/** A signal that fired: its weight in the combination, and the sentence an analyst reads. */
export interface Signal extends Reason {
  weight: number;
}

export function signal(code: string, weight: number, detail: string): Signal {
  return { code, weight, detail };
}

/**
 * Risk = threat x vulnerability x impact. Vulnerability and impact scale the threat between
 * 70 % and 100 % by default: a hijack of a passkey account with little money is still a hijack.
 */
export function riskScore(threat: number, vulnerability: number, impact: number, w: ScoreWeights): number {
  return round3(clamp01(threat) * (w.vulnerabilityFloor + w.vulnerabilitySpan * clamp01(vulnerability)) * (w.impactFloor + w.impactSpan * clamp01(impact)));
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Impact from a JPY amount on a log scale: ¥100k -> 0, ¥100M -> 1 by default. */
export function impactOfJpy(jpy: number, w: ScoreWeights): number {
  return jpy <= 0 ? 0 : round3(ramp(Math.log10(jpy), w.impactFromLog10Jpy, w.impactToLog10Jpy));
}

export function yen(jpy: number): string {
  if (jpy >= 1e8) return `¥${(jpy / 1e8).toFixed(1)}億`;
  if (jpy >= 1e4) return `¥${Math.round(jpy / 1e4).toLocaleString('en-US')}万`;
  return `¥${Math.round(jpy)}`;
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

/** A table by MFA setting (vulnerability, prior). */
interface ByMfa { mfaNone: number; mfaSms: number; mfaApp: number; mfaPasskey: number; mfaUnknown: number }
/** A table by authentication method (vulnerability, prior). */
interface ByAuthMethod {
  authSessionResume: number; authLegacyPasswordOnly: number; authPassword: number;
  authPasswordOtpSms: number; authPasswordOtpApp: number; authPasskey: number;
}

/** The entry of `w` for this MFA setting; an unknown setting (or none given) is mfaUnknown. */
export function byMfa(mfa: string | undefined, w: ByMfa): number {
  switch (mfa) {
    case 'none': return w.mfaNone;
    case 'sms': return w.mfaSms;
    case 'app': return w.mfaApp;
    case 'passkey': return w.mfaPasskey;
    default: return w.mfaUnknown;
  }
}

/** The entry of `w` for this authentication method. */
export function byAuthMethod(m: AuthMethod, w: ByAuthMethod): number {
  switch (m) {
    case 'session_resume': return w.authSessionResume;
    case 'legacy_password_only': return w.authLegacyPasswordOnly;
    case 'password': return w.authPassword;
    case 'password_otp_sms': return w.authPasswordOtpSms;
    case 'password_otp_app': return w.authPasswordOtpApp;
    case 'passkey': return w.authPasskey;
  }
}
