/**
 * The held-out families: never used to decide a threshold. Results on them are what the
 * project reports; tuning to them would make the report meaningless.
 */
import type { Family } from './families.js';

/** A metropolitan online broker over Golden Week 2025. */
const METRO_RETAIL: Family = {
  name: 'metro-retail',
  character: 'a metropolitan online broker over Golden Week: offices behind cloud proxies, IPv6 everywhere, clubs and day traders; pooled home proxies, API keys and a drip over the holidays',
  start: Date.UTC(2025, 3, 22, 15, 0, 0),
  population: {
    rhythms: { daily: 0.65, weekly: 0.25, rare: 0.1 },
    mfa: [['app', 0.4], ['sms', 0.35], ['passkey', 0.18], ['none', 0.07]],
    ipv6Home: 0.55,
    mobileV6: 0.5,
    offices: { share: 0.28, count: 40, cloudShare: 0.45 },
    alwaysVpn: 0.02,
    dayTraders: 0.012,
    newAccounts: 0.02,
  },
  cohorts: {
    travellers: 60, newPhones: 35, dormant: 10, apiTraders: 25, households: 10, smallCapTraders: 45, memeRushes: 2,
    clubs: [5, [8, 20]],
    rallies: [{ market: 'XHKG', buyers: [50, 100], holders: [6, 15] }, { market: 'XNAS', buyers: [40, 80], holders: [4, 10] }],
    cashOuts: 15, cashOutKind: 'retirement', newPhoneSmallCap: 40, hostingTravellers: 30,
  },
  attacks: [
    {
      shape: {
        name: 'holiday-night-relay', description: 'On a Golden Week holiday, relays through home proxies and resumed cookies buy a US-listed small cap at night.',
        access: [['relay-home-proxy', 0.6], ['cookie-resume', 0.4]], waves: 3, waveGapMin: [30, 70], partialLiquidation: 0.35,
        limitAbove: [1.04, 1.14], marketBuys: 0.15, noBuy: 0.05, peak: [1.25, 1.4], night: true, proxyPool: 8,
      },
      market: 'XNAS', symbols: 2, victims: [25, 40], noHistory: 0.3, lowBalance: 0.2, pattern: [0], at: 0.2, onHomeHoliday: true,
      beneficiaries: [3, 6], longHolders: 0.5, chasers: [1, 5],
    },
    {
      shape: {
        name: 'api-keys-hk', description: 'Stolen API keys and silent sessions ramp a Hong Kong small cap with market orders during office hours.',
        access: [['api-key', 0.7], ['cookie-silent', 0.3]], waves: 3, waveGapMin: [25, 60], partialLiquidation: 0.4,
        limitAbove: [1.02, 1.08], marketBuys: 0.5, noBuy: 0.08, peak: [1.2, 1.35],
      },
      market: 'XHKG', symbols: 1, victims: [18, 30], noHistory: 0, lowBalance: 0.25, pattern: [0], at: 0.55,
      beneficiaries: [2, 4], longHolders: 0.3, chasers: [0, 3],
    },
    {
      shape: {
        name: 'staggered-proxy-waves', description: 'Four waves an hour or so apart through a small pool of home proxies, many victims with little history or little money.',
        access: [['relay-home-proxy', 0.9], ['stuffing', 0.1]], waves: 4, waveGapMin: [45, 90], partialLiquidation: 0.5,
        limitAbove: [1.02, 1.12], marketBuys: 0.25, noBuy: 0.05, peak: [1.12, 1.25], proxyPool: 5,
      },
      market: 'XTKS', symbols: 1, victims: [35, 50], noHistory: 0.4, lowBalance: 0.3, pattern: [0], at: 0.8,
      beneficiaries: [3, 5], longHolders: 0.4, chasers: [0, 4],
    },
    {
      shape: {
        name: 'holiday-drip', description: 'A drip over the holidays: a few accounts on five trading days with pauses, each sold in part, one Tokyo small cap nudged a little each time.',
        access: [['relay-home-proxy', 0.6], ['cookie-resume', 0.4]], waves: 1, waveGapMin: [60, 60], partialLiquidation: 0.8,
        limitAbove: [1.01, 1.04], marketBuys: 0.1, noBuy: 0.1, peak: [1.03, 1.06],
      },
      market: 'XTKS', symbols: 1, victims: [12, 18], noHistory: 0.25, lowBalance: 0.3, pattern: [0, 2, 3, 5, 6], at: 0.15,
      beneficiaries: [2, 3], longHolders: 0.7, chasers: [0, 1],
    },
    {
      shape: {
        name: 'contact-withdraw', description: 'Takeovers that change the contacts and the bank account, then withdraw: no trading.',
        access: [['relay-home-proxy', 0.7], ['cookie-silent', 0.3]], waves: 3, waveGapMin: [40, 120], partialLiquidation: 0,
        limitAbove: [1, 1], marketBuys: 0, noBuy: 0, peak: [1, 1], contactOnly: true,
      },
      market: 'XTKS', symbols: 0, victims: [6, 10], noHistory: 0.3, lowBalance: 0, pattern: [0], at: 0.5,
      beneficiaries: [0, 0], longHolders: 0, chasers: [0, 0],
    },
  ],
};

/** A regional securities firm over the year end 2025-26. */
const REGIONAL_NIGHT: Family = {
  name: 'regional-night',
  character: 'a regional securities firm over the year end: older customers on weekly habits and password-only logins, night owls in New York, tax selling; attacks at night on the new-year holidays',
  start: Date.UTC(2025, 11, 17, 15, 0, 0),
  population: {
    rhythms: { daily: 0.35, weekly: 0.4, rare: 0.25 },
    mfa: [['sms', 0.55], ['none', 0.3], ['app', 0.1], ['passkey', 0.05]],
    ipv6Home: 0.15,
    mobileV6: 0.1,
    offices: { share: 0.05, count: 30, cloudShare: 0.1 },
    alwaysVpn: 0.005,
    dayTraders: 0.003,
    newAccounts: 0.006,
    nightOwls: 0.04,
  },
  cohorts: {
    travellers: 40, newPhones: 30, dormant: 30, apiTraders: 5, households: 40, smallCapTraders: 15, memeRushes: 1,
    clubs: [2, [5, 9]],
    rallies: [{ market: 'XNAS', buyers: [70, 130], holders: [8, 16] }],
    cashOuts: 45, cashOutKind: 'year-end', newPhoneSmallCap: 20, hostingTravellers: 35,
  },
  attacks: [
    {
      shape: {
        name: 'new-year-night', description: 'On a new-year holiday with Tokyo shut and New York open: stuffed passwords, foreign relays and cookies buy a US-listed small cap at night.',
        access: [['stuffing', 0.4], ['relay-foreign', 0.3], ['cookie-resume', 0.3]], waves: 2, waveGapMin: [50, 120], partialLiquidation: 0.2,
        limitAbove: [1.06, 1.18], marketBuys: 0.3, noBuy: 0.05, peak: [1.3, 1.5], night: true,
      },
      market: 'XNAS', symbols: 1, victims: [25, 40], noHistory: 0.15, lowBalance: 0.3, pattern: [0], at: 0.5, onHomeHoliday: true,
      beneficiaries: [3, 5], longHolders: 0.4, chasers: [0, 3],
    },
    {
      shape: {
        name: 'slow-across-holidays', description: 'From Christmas to the new year: a few accounts on each of four trading days with pauses, sold in part, two Tokyo small caps.',
        access: [['relay-home-proxy', 0.7], ['cookie-silent', 0.3]], waves: 2, waveGapMin: [120, 240], partialLiquidation: 0.8,
        limitAbove: [1.01, 1.06], marketBuys: 0.2, noBuy: 0.1, peak: [1.03, 1.07],
      },
      market: 'XTKS', symbols: 2, victims: [16, 24], noHistory: 0.3, lowBalance: 0.3, pattern: [0, 1, 3, 5], at: 0.3,
      beneficiaries: [2, 4], longHolders: 0.6, chasers: [0, 2],
    },
    {
      shape: {
        name: 'hk-ramp-api', description: 'A Hong Kong small cap ramped with market orders from API keys and foreign relays.',
        access: [['api-key', 0.5], ['relay-foreign', 0.5]], waves: 2, waveGapMin: [30, 90], partialLiquidation: 0.3,
        limitAbove: [1.03, 1.1], marketBuys: 0.6, noBuy: 0.05, peak: [1.2, 1.35],
      },
      market: 'XHKG', symbols: 1, victims: [15, 25], noHistory: 0, lowBalance: 0.2, pattern: [0], at: 0.15,
      beneficiaries: [2, 4], longHolders: 0.4, chasers: [0, 3],
    },
    {
      shape: {
        name: 'year-end-contact-withdraw', description: 'In the cash-out season: takeovers that change the contacts and the bank account, then withdraw.',
        access: [['relay-home-proxy', 0.6], ['stuffing', 0.4]], waves: 2, waveGapMin: [60, 180], partialLiquidation: 0,
        limitAbove: [1, 1], marketBuys: 0, noBuy: 0, peak: [1, 1], contactOnly: true,
      },
      market: 'XTKS', symbols: 0, victims: [15, 25], noHistory: 0.3, lowBalance: 0, pattern: [0], at: 0.7,
      beneficiaries: [0, 0], longHolders: 0, chasers: [0, 0],
    },
  ],
};

export const HELD_OUT: Family[] = [METRO_RETAIL, REGIONAL_NIGHT];
