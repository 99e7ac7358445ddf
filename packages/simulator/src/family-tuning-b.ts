/**
 * `tuning-b`: a large Japanese online broker from 29 October 2025, ten Tokyo trading days.
 * The window holds Hong Kong's Chung Yeung holiday (29 Oct), the end of US daylight saving
 * (2 Nov: New York opens at 23:30 JST instead of 22:30) and Culture Day (3 Nov: Tokyo shut,
 * New York open, customers still logging in).
 */
import type { Family } from './families.js';

export const TUNING_B: Family = {
  name: 'tuning-b',
  character: 'a large online broker in autumn: US daylight saving ends, a home holiday with New York open, office workers and IPv6 lines, home-proxy relays and a slow campaign',
  start: Date.UTC(2025, 9, 28, 15, 0, 0),
  population: {
    rhythms: { daily: 0.55, weekly: 0.28, rare: 0.17 },
    mfa: [['sms', 0.45], ['app', 0.3], ['passkey', 0.12], ['none', 0.13]],
    ipv6Home: 0.35,
    mobileV6: 0.3,
    offices: { share: 0.14, count: 70, cloudShare: 0.25 },
    alwaysVpn: 0.012,
    dayTraders: 0.006,
    newAccounts: 0.012,
  },
  cohorts: {
    travellers: 25, newPhones: 20, dormant: 15, apiTraders: 12, households: 15, smallCapTraders: 20, memeRushes: 1,
    clubs: [3, [6, 14]],
    rallies: [{ market: 'XNAS', buyers: [60, 120], holders: [5, 12] }],
    cashOuts: 25, cashOutKind: 'retirement', newPhoneSmallCap: 25, hostingTravellers: 15,
  },
  attacks: [
    {
      shape: {
        name: 'home-proxy-relay-waves', description: 'OTP relays through Japanese residential proxies with the victim\'s own user agent, in three waves over the day, into a Tokyo small cap.',
        access: [['relay-home-proxy', 0.8], ['cookie-resume', 0.2]], waves: 3, waveGapMin: [60, 110], partialLiquidation: 0.3,
        limitAbove: [1.02, 1.1], marketBuys: 0.3, noBuy: 0.05, peak: [1.15, 1.3],
      },
      market: 'XTKS', symbols: 1, victims: [30, 45], noHistory: 0.35, lowBalance: 0.15, pattern: [0], at: 0.4,
      beneficiaries: [3, 5], longHolders: 0.4, chasers: [0, 4],
    },
    {
      shape: {
        name: 'slow-and-low', description: 'A few accounts a day over four Tokyo trading days with a pause, each sold in part, nudging two Tokyo small caps a little at a time.',
        access: [['relay-home-proxy', 0.5], ['cookie-resume', 0.3], ['relay-foreign', 0.2]], waves: 2, waveGapMin: [90, 200], partialLiquidation: 0.7,
        limitAbove: [1.01, 1.05], marketBuys: 0.2, noBuy: 0.1, peak: [1.04, 1.08],
      },
      market: 'XTKS', symbols: 2, victims: [16, 24], noHistory: 0.2, lowBalance: 0.25, pattern: [0, 1, 3, 4], at: 0.2,
      beneficiaries: [2, 4], longHolders: 0.6, chasers: [0, 2],
    },
    {
      shape: {
        name: 'holiday-night-us', description: 'On the home holiday, with Tokyo shut and New York open: relays, stolen cookies and API keys buy a US-listed small cap at night.',
        access: [['relay-foreign', 0.4], ['cookie-resume', 0.3], ['api-key', 0.3]], waves: 2, waveGapMin: [40, 90], partialLiquidation: 0.2,
        limitAbove: [1.05, 1.15], marketBuys: 0.2, noBuy: 0.05, peak: [1.3, 1.45], night: true,
      },
      market: 'XNAS', symbols: 1, victims: [20, 35], noHistory: 0.1, lowBalance: 0.2, pattern: [0], at: 0.3, onHomeHoliday: true,
      beneficiaries: [3, 5], longHolders: 0.3, chasers: [0, 3],
    },
    {
      shape: {
        name: 'contact-withdraw', description: 'Takeovers that change the e-mail, phone and bank account, then withdraw the cash: no trading at all.',
        access: [['relay-home-proxy', 0.5], ['cookie-resume', 0.5]], waves: 2, waveGapMin: [60, 180], partialLiquidation: 0,
        limitAbove: [1, 1], marketBuys: 0, noBuy: 0, peak: [1, 1], contactOnly: true,
      },
      market: 'XTKS', symbols: 0, victims: [8, 12], noHistory: 0.25, lowBalance: 0, pattern: [0], at: 0.6,
      beneficiaries: [0, 0], longHolders: 0, chasers: [0, 0],
    },
    {
      shape: {
        name: 'silent-cookie-hk', description: 'Infostealer sessions used with no login at all, or resumed from a new address, to ramp a Hong Kong small cap a pre-positioned group sells into.',
        access: [['cookie-silent', 0.6], ['cookie-resume', 0.4]], waves: 2, waveGapMin: [50, 120], partialLiquidation: 0.25,
        limitAbove: [1.03, 1.12], marketBuys: 0.25, noBuy: 0.05, peak: [1.25, 1.4],
      },
      market: 'XHKG', symbols: 1, victims: [15, 25], noHistory: 0, lowBalance: 0.1, pattern: [0], at: 0.75,
      beneficiaries: [2, 4], longHolders: 0.5, chasers: [0, 3],
    },
  ],
};
