/** Incidents modelled on the documented cases. Numbers are orders of magnitude, not copies. */
export type TakeoverMethod = 'relay' | 'cookie' | 'stuffing';

export interface Recipe {
  name: string;
  description: string;
  /** victims at 20k accounts; scaled with the population */
  victims: [number, number];
  methods: [TakeoverMethod, number][];
  market: 'XNAS' | 'XHKG' | 'XTKS';
  symbols: [number, number];
  beneficiaries: [number, number];
  /** where the attackers' hosting and VPN exits are */
  infraCountries: string[];
  /** share of logins through residential proxies in Japan, which look like ordinary customers */
  residentialProxyShare: number;
  /** never scaled: a case with a known number of accounts */
  fixedVictims?: number;
}

export const RECIPES: Record<string, Recipe> = {
  'us-2006-hack-pump-dump': {
    name: 'us-2006-hack-pump-dump',
    description: 'US brokers 2006-2007: keylogged and stuffed passwords on password-only accounts, holdings sold, a thin US-listed stock bought at inflated prices while pre-positioned accounts sold.',
    victims: [15, 30], methods: [['stuffing', 0.7], ['relay', 0.3]], market: 'XNAS', symbols: [1, 1], beneficiaries: [2, 4],
    infraCountries: ['US', 'SG'], residentialProxyShare: 0,
  },
  'hk-2024-ramp': {
    name: 'hk-2024-ramp',
    description: 'Hong Kong 2024: phished and cookie-stolen accounts used to ramp Hong Kong small caps.',
    victims: [20, 40], methods: [['relay', 0.5], ['cookie', 0.5]], market: 'XHKG', symbols: [1, 2], beneficiaries: [3, 5],
    infraCountries: ['HK', 'SG', 'CN'], residentialProxyShare: 0.1,
  },
  'jp-march-2025-wave': {
    name: 'jp-march-2025-wave',
    description: 'Japan, March 2025: real-time phishing relays beat SMS codes; Japanese holdings sold in the day session, Chinese small caps listed in the US bought at night at inflated prices.',
    victims: [60, 120], methods: [['relay', 0.6], ['cookie', 0.3], ['stuffing', 0.1]], market: 'XNAS', symbols: [2, 3], beneficiaries: [3, 6],
    infraCountries: ['CN', 'HK', 'SG', 'JP'], residentialProxyShare: 0.2,
  },
  'pass-the-cookie': {
    name: 'pass-the-cookie',
    description: 'Infostealer session cookies replayed from new devices: no password, no OTP; Japanese small caps bought once foreign ones were blocked.',
    victims: [25, 50], methods: [['cookie', 1]], market: 'XTKS', symbols: [1, 2], beneficiaries: [2, 5],
    infraCountries: ['JP', 'SG'], residentialProxyShare: 0.5,
  },
  'jp-nov-2025-ten-accounts': {
    name: 'jp-nov-2025-ten-accounts',
    description: 'Japan, November 2025 arrest: about ten hijacked accounts used to buy one Japanese small cap the group already held.',
    victims: [10, 10], fixedVictims: 10, methods: [['relay', 0.8], ['cookie', 0.2]], market: 'XTKS', symbols: [1, 1], beneficiaries: [2, 3],
    infraCountries: ['JP'], residentialProxyShare: 0.3,
  },
};

/** Chronological, as the attacks moved from foreign to home-market small caps. */
export const DEFAULT_ORDER = ['us-2006-hack-pump-dump', 'hk-2024-ramp', 'jp-march-2025-wave', 'pass-the-cookie', 'jp-nov-2025-ten-accounts'];
