/**
 * @kanshi/store: ClickHouse for Kanshi, on a server (18.16 and later) or embedded (chdb).
 * Migrations, writes of every finding and decision, and the reads replay and review need.
 */
export { openStore, Store, TABLES, type StoreConfig, type MigrationReport, type FindingQuery, type ArchiveQuery, type TableName, type DecisionsSoFar } from './store.js';
export type { ArchivedEvent, AuditEntry } from './rows.js';
export { StoreUnavailable, StoreError, StoreConfigError, MigrationMismatch } from './errors.js';
export { sqlString, sqlStringArray, sqlIdent, sqlNumber, UnsafeIdentifier } from './sql.js';
export { MIGRATIONS, type Migration } from './migrations/index.js';
export {
  DeskStore, holdState, ALERT_STATUSES, CASE_ACTIONS, DESK_ROLES, DISPOSITIONS, QUEUE_SORTS,
  type AlertStatus, type CaseAction, type CaseEntry, type DeskAlert, type DeskHold, type DeskRole, type DeskUser, type Disposition,
  type DispositionEntry, type HoldAction, type HoldActionKind, type HoldState, type QueuePage, type QueueQuery, type QueueSort,
} from './desk.js';
export type { InfraProbe } from './desk-accounts.js';
export type { AuditCursor, AuditQuery } from './desk-audit.js';
export { alertViewPieceByPiece, type AccountView, type AlertView, type AlertViewQuery, type OnAccounts, type PieceByPiece } from './desk-view.js';
