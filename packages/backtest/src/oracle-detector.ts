/**
 * A detector for this package's own tests that reads the answers: it flags exactly what the
 * labels say, plus the false positives it is told to make, so a test knows every score the
 * scoring must give. Real detection is borrowed from `kanshi detect` (packages/cli tests it).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding, Hold } from '@kanshi/contract';
import type { Detector, DetectRun } from './backtest.js';
import type { Labels } from './labels.js';

export interface OracleOptions {
  /** flag (high) and hold this many accounts of each hard-negative cohort */
  benignFlaggedPerCohort?: number;
  /** leave the first hijacked account of each incident unflagged */
  missOnePerIncident?: boolean;
  /** the severity of the beneficiary findings (default high) */
  beneficiarySeverity?: Finding['severity'];
}

function finding(id: string, kind: string, accountIds: string[], symbols: string[], at: number): Finding {
  return { findingId: id, kind, severity: 'high', score: 0.9, accountIds, symbols, detectedAt: at, evidence: [], reasons: [{ code: 'oracle', detail: 'from the labels' }], revision: 1 };
}

export function oracleDetector(o: OracleOptions = {}): Detector & { runs: number } {
  const d = {
    runs: 0,
    async detect(input: { events: string; out: string }): Promise<DetectRun> {
      d.runs++;
      mkdirSync(input.out, { recursive: true });
      const labels = JSON.parse(readFileSync(path.join(path.dirname(input.events), 'labels.json'), 'utf8')) as Labels;
      const emitted: Finding[] = [];
      const holds: Hold[] = [];
      const bad = new Set(labels.scenarios.filter((s) => s.kind === 'incident').flatMap((s) => s.involvedAccounts));
      for (const s of labels.scenarios) {
        if (s.kind === 'incident') {
          const caught = s.hijackedAccounts.slice(o.missOnePerIncident ? 1 : 0);
          // a minute after the takeover: before the first pump buy
          for (const a of caught) emitted.push(finding(`ato-${a}`, 'account_takeover', [a], [], (s.takeoverAt[a] ?? s.start) + 60_000));
          for (const b of s.beneficiaryAccounts) emitted.push({ ...finding(`ben-${b}`, 'dump_beneficiary', [b], s.campaignSymbols, s.end), severity: o.beneficiarySeverity ?? 'high' });
          for (const x of s.campaignSymbols) emitted.push(finding(`camp-${x}`, 'pump_campaign', caught, [x], s.end));
        } else {
          for (const a of s.involvedAccounts.filter((x) => !bad.has(x)).slice(0, o.benignFlaggedPerCohort ?? 0)) {
            emitted.push(finding(`fp-${a}`, 'account_takeover', [a], [], s.start));
            holds.push({ holdId: `h-${a}`, accountId: a, findingId: `fp-${a}`, at: s.start, mode: 'dry_run', reason: 'oracle' });
          }
        }
      }
      return { emitted, findings: emitted, holds, lines: 0, seconds: 0, stats: { accounts: labels.accounts } };
    },
    async *lines(file: string) {
      for (const line of readFileSync(file, 'utf8').split('\n')) if (line) yield { line };
    },
  };
  return d;
}
