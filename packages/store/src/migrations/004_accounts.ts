/**
 * Migration 4: account snapshots (the `kanshi.accounts` reference data: home country, MFA,
 * holdings, positions) for the desk, which draws an account's holdings before and after an
 * incident from them. The newest write of an account is its snapshot. Frozen once applied.
 */
import type { Migration } from './index.js';

export const accounts: Migration = {
  version: 4,
  name: 'account snapshots',
  statements: (db) => [
    // the snapshot as the contract's JSON (positions are an array of {symbol, quantity}: no Map
    // or JSON type on 18.16); replaced by a newer write of the same account
    `CREATE TABLE IF NOT EXISTS ${db}.account_snapshots (
      account_id String, payload String, written_at DateTime('UTC'), written_ms UInt16
    ) ENGINE = ReplacingMergeTree(written_at) ORDER BY account_id`,
  ],
};
