/**
 * Migration 1: the tables every service writes. Applied databases carry its checksum, so this
 * text is frozen: change the schema by adding 002_….ts, never by editing this file.
 */
import type { Migration } from './index.js';

export const init: Migration = {
  version: 1,
  name: 'archive, rejects, findings, alerts, holds, audit',
  statements: (db) => [
    // The archive is what replay and forensics read. Re-delivery of an event writes the same
    // key again and merges away; the date prefix keeps replay of a period to a few parts.
    `CREATE TABLE IF NOT EXISTS ${db}.events_raw (
      event_id String, type String, account_id String, symbol String,
      ts DateTime('UTC'), ts_ms UInt16, source String, payload String,
      ingested_at DateTime('UTC')
    ) ENGINE = ReplacingMergeTree(ingested_at)
    PARTITION BY toYYYYMM(ts) ORDER BY (toDate(ts), account_id, ts, ts_ms, event_id)`,
    // Nothing is dropped silently: each rejected input with where it came from and why.
    // The source (file:line, topic/partition@offset) names one input, so a re-read merges away.
    `CREATE TABLE IF NOT EXISTS ${db}.rejected_events (
      at DateTime('UTC'), at_ms UInt16, source String, event_id Nullable(String),
      field Nullable(String), reason String, raw String
    ) ENGINE = ReplacingMergeTree()
    PARTITION BY toYYYYMM(at) ORDER BY (source, reason)`,
    // A finding is revised as evidence grows; the highest revision is the finding.
    // Unpartitioned so every revision of one finding lands where it can merge.
    `CREATE TABLE IF NOT EXISTS ${db}.findings (
      finding_id String, revision UInt32, kind String, severity String, score Float64,
      account_ids Array(String), symbols Array(String),
      detected_at DateTime('UTC'), detected_at_ms UInt16,
      evidence Array(String), reason_codes Array(String), reason_details Array(String),
      threat Nullable(Float64), vulnerability Nullable(Float64), impact Nullable(Float64),
      written_at DateTime('UTC')
    ) ENGINE = ReplacingMergeTree(revision) ORDER BY finding_id`,
    `CREATE TABLE IF NOT EXISTS ${db}.alerts (
      alert_id String, finding_id String, kind String, severity String, score Float64,
      account_ids Array(String), symbols Array(String),
      at DateTime('UTC'), at_ms UInt16, summary String, written_at DateTime('UTC')
    ) ENGINE = ReplacingMergeTree(written_at) ORDER BY alert_id`,
    `CREATE TABLE IF NOT EXISTS ${db}.holds (
      hold_id String, account_id String, finding_id String,
      at DateTime('UTC'), at_ms UInt16, mode String, reason String, written_at DateTime('UTC')
    ) ENGINE = ReplacingMergeTree(written_at) ORDER BY hold_id`,
    // Who did what and why, under which policy version. Append-only in use (nothing updates
    // an entry); Replacing only so that a retried write of the same deterministic id is one
    // entry, not two.
    `CREATE TABLE IF NOT EXISTS ${db}.audit_log (
      audit_id String, at DateTime('UTC'), at_ms UInt16, actor String, action String,
      subject String, detail String, policy_version String
    ) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(at) ORDER BY (audit_id)`,
  ],
};
