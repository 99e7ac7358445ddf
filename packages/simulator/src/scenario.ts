/** The ground truth of one scenario, as labels.json carries it (the CLI's ScenarioLabel). */
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

export function hardNegativeLabel(name: string, description: string, accounts: string[], symbols: string[], start: number, end: number): ScenarioLabel {
  return {
    name, kind: 'hard_negative', description, hijackedAccounts: [], campaignSymbols: [], beneficiaryAccounts: [],
    takeoverAt: {}, firstPumpBuyAt: {}, involvedAccounts: accounts, symbols, start, end,
  };
}
