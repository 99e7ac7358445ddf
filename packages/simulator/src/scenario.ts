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
  /** the attack shape of an incident (families other than classic) */
  variant?: string;
  /** per hijacked account, what its takeover was like: access, liquidation, timing tags */
  accountVariants?: Record<string, string[]>;
}

export interface Labels {
  seed: number;
  accounts: number;
  days: number;
  start: number;
  end: number;
  scenarios: ScenarioLabel[];
  /** the world family drawn from (absent: classic) and whether thresholds were tuned on it */
  family?: string;
  tuning?: boolean;
  /** home-exchange trading days in the window, and weekdays the home exchange was shut (ISO dates, JST) */
  tradingDays?: number;
  homeHolidays?: string[];
}

export function hardNegativeLabel(name: string, description: string, accounts: string[], symbols: string[], start: number, end: number): ScenarioLabel {
  return {
    name, kind: 'hard_negative', description, hijackedAccounts: [], campaignSymbols: [], beneficiaryAccounts: [],
    takeoverAt: {}, firstPumpBuyAt: {}, involvedAccounts: accounts, symbols, start, end,
  };
}
