/**
 * Migration 2: what the surveillance desk records. Its users, and the desk's decisions as
 * append-only entries (a hold's release request and approval, an alert's disposition): a state
 * is read as the newest entry, nothing is ever updated, so the history is the record.
 * Frozen once applied, like 001.
 */
import type { Migration } from './index.js';

export const desk: Migration = {
  version: 2,
  name: 'desk users, hold actions, alert dispositions',
  statements: (db) => [
    // One row per name; adding a user again (a new password, a new role) replaces it by version.
    `CREATE TABLE IF NOT EXISTS ${db}.desk_users (
      name String, role String, password_hash String, version UInt64, created_at DateTime('UTC')
    ) ENGINE = ReplacingMergeTree(version) ORDER BY name`,
    // confirmed, release_requested, released: who, why, when. Replacing only so
    // a retried write of the same id is one entry.
    `CREATE TABLE IF NOT EXISTS ${db}.hold_actions (
      action_id String, hold_id String, account_id String, action String, actor String,
      reason String, at DateTime('UTC'), at_ms UInt16
    ) ENGINE = ReplacingMergeTree() ORDER BY (hold_id, action_id)`,
    `CREATE TABLE IF NOT EXISTS ${db}.alert_dispositions (
      entry_id String, alert_id String, disposition String, actor String, note String,
      at DateTime('UTC'), at_ms UInt16
    ) ENGINE = ReplacingMergeTree() ORDER BY (alert_id, entry_id)`,
  ],
};
