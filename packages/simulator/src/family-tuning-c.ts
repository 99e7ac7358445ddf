/**
 * `tuning-c`: a broker in the year-end weeks from 22 December 2025, ten Tokyo trading days.
 * The window holds Christmas (New York and Hong Kong shut, Tokyo open) and the Tokyo year-end
 * holidays (31 December to 2 January, New York open on the 2nd). It is a stress family for
 * false positives: several times the hard negatives of the others (offices behind cloud
 * proxies, new phones buying small caps, travellers on hosting, year-end cash-outs, clubs and
 * rallies), password-only logins and many new accounts, against attack shapes the other tuning
 * families do not draw: credential stuffing on legacy logins, API-key attackers in staggered
 * night waves, and a slow campaign on cookies into a stock pre-positioned holders sell into.
 */
import type { Family } from './families.js';

export const TUNING_C: Family = {
  name: 'tuning-c',
  character: 'a broker at year end: Christmas abroad, cash-outs, many new accounts and password-only logins, offices on cloud proxies, and several times the usual look-alikes',
  start: Date.UTC(2025, 11, 21, 15, 0, 0),
  population: {
    rhythms: { daily: 0.45, weekly: 0.3, rare: 0.25 },
    mfa: [['sms', 0.4], ['app', 0.2], ['passkey', 0.1], ['none', 0.3]],
    ipv6Home: 0.25,
    mobileV6: 0.4,
    offices: { share: 0.2, count: 90, cloudShare: 0.5 },
    alwaysVpn: 0.03,
    dayTraders: 0.012,
    newAccounts: 0.03,
    nightOwls: 0.02,
  },
  cohorts: {
    travellers: 70, newPhones: 60, dormant: 40, apiTraders: 30, households: 40, smallCapTraders: 60, memeRushes: 2,
    clubs: [6, [5, 12]],
    rallies: [{ market: 'XHKG', buyers: [50, 100], holders: [8, 16] }, { market: 'XNAS', buyers: [40, 80], holders: [4, 10] }],
    cashOuts: 70, cashOutKind: 'year-end', newPhoneSmallCap: 70, hostingTravellers: 45,
  },
  attacks: [
    {
      shape: {
        name: 'stuffing-legacy', description: 'Credential stuffing on password-only logins from hosting and VPN exits, one fast wave into a Hong Kong small cap, low balances included.',
        access: [['stuffing', 0.7], ['relay-foreign', 0.3]], waves: 1, waveGapMin: [30, 60], partialLiquidation: 0.15,
        limitAbove: [1.0, 1.04], marketBuys: 0.6, noBuy: 0.05, peak: [1.2, 1.35],
      },
      market: 'XHKG', symbols: 1, victims: [20, 30], noHistory: 0.15, lowBalance: 0.3, pattern: [0], at: 0.25,
      beneficiaries: [2, 4], longHolders: 0.3, chasers: [0, 3],
    },
    {
      shape: {
        name: 'api-night-waves', description: 'API keys and cookies taken by an infostealer drive four staggered night waves into a US small cap.',
        access: [['api-key', 0.5], ['cookie-resume', 0.3], ['relay-home-proxy', 0.2]], waves: 4, waveGapMin: [25, 60], partialLiquidation: 0.35,
        limitAbove: [1.03, 1.12], marketBuys: 0.2, noBuy: 0.1, peak: [1.15, 1.3], night: true,
      },
      market: 'XNAS', symbols: 1, victims: [24, 36], noHistory: 0.3, lowBalance: 0.15, pattern: [0], at: 0.5,
      beneficiaries: [3, 5], longHolders: 0.4, chasers: [0, 4],
    },
    {
      shape: {
        name: 'slow-cookie-prepositioned', description: 'Resumed cookies and home-proxy relays on three days with a pause, mostly partial sell-offs, into a Tokyo small cap that long-time holders sell into.',
        access: [['cookie-resume', 0.5], ['relay-home-proxy', 0.5]], waves: 2, waveGapMin: [120, 240], partialLiquidation: 0.6,
        limitAbove: [1.01, 1.06], marketBuys: 0.15, noBuy: 0.1, peak: [1.05, 1.12], proxyPool: 4,
      },
      market: 'XTKS', symbols: 1, victims: [14, 22], noHistory: 0.45, lowBalance: 0.2, pattern: [0, 2, 3], at: 0.3,
      beneficiaries: [3, 5], longHolders: 0.9, chasers: [0, 2],
    },
    {
      shape: {
        name: 'contact-withdraw-foreign', description: 'Relays from abroad that change the contacts and the bank account and withdraw before the year-end close.',
        access: [['relay-foreign', 0.5], ['cookie-resume', 0.5]], waves: 1, waveGapMin: [60, 120], partialLiquidation: 0,
        limitAbove: [1, 1], marketBuys: 0, noBuy: 0, peak: [1, 1], contactOnly: true,
      },
      market: 'XTKS', symbols: 0, victims: [6, 10], noHistory: 0.3, lowBalance: 0, pattern: [0], at: 0.8,
      beneficiaries: [0, 0], longHolders: 0, chasers: [0, 0],
    },
  ],
};
