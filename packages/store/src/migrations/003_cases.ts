/**
 * Migration 3: the desk's cases. An alert is worked as a case: who it is assigned to, comments,
 * escalations to a supervisor, each an append-only entry (its disposition stays in
 * alert_dispositions). The owner is the newest assignment or escalation; nothing is updated.
 * Frozen once applied, like 001.
 */
import type { Migration } from './index.js';

export const cases: Migration = {
  version: 3,
  name: 'desk case entries',
  statements: (db) => [
    // assigned, commented, escalated: who, to whom, what they wrote, when. Replacing only so a
    // retried write of the same id is one entry.
    `CREATE TABLE IF NOT EXISTS ${db}.case_entries (
      entry_id String, alert_id String, action String, actor String, assignee String, note String,
      at DateTime('UTC'), at_ms UInt16
    ) ENGINE = ReplacingMergeTree() ORDER BY (alert_id, entry_id)`,
  ],
};
