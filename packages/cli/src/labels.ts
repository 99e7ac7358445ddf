import { readFileSync } from 'node:fs';

/** The simulator's ground truth (labels.json). Kept apart from the events: detection never reads it. */
export interface ScenarioLabel {
  name: string;
  kind: 'incident' | 'hard_negative';
  description: string;
  hijackedAccounts: string[];
  campaignSymbols: string[];
  beneficiaryAccounts: string[];
  takeoverAt: Record<string, number>;
  firstPumpBuyAt: Record<string, number>;
  involvedAccounts: string[];
  symbols: string[];
  start: number;
  end: number;
}

export interface Labels {
  seed: number;
  accounts: number;
  days: number;
  start: number;
  end: number;
  scenarios: ScenarioLabel[];
}

export class LabelsUnreadable extends Error {
  override readonly name = 'LabelsUnreadable';
}

export function readLabels(file: string): Labels {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new LabelsUnreadable(`cannot read labels ${file}: ${(e as Error).message}`);
  }
  const l = raw as Labels;
  if (!Array.isArray(l?.scenarios)) throw new LabelsUnreadable(`${file} has no scenarios array`);
  return l;
}
