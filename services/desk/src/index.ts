/**
 * @kanshi/desk: the surveillance desk, a web console over the store (services/desk/src/main.ts
 * starts it as a service).
 */
export { DeskServer, type DeskBackend, type DeskOptions } from './server.js';
export { matchesQuery, queueQuery } from './query.js';
export { can, hashPassword, verifyPassword, LoginLimiter, Sessions, PERMISSIONS, type Permission, type Session } from './auth.js';
export { escapeHtml, html, Html } from './html.js';
export { releaseStep, type ReleaseStep } from './release.js';
export { busHoldRecords, holdChange, NO_HOLD_RECORDS, type HoldRecords } from './hold-records.js';
export { addUser, readPassword, userFromFlags } from './users.js';
export { openDeskStore } from './main.js';
export { AuditJournal, AuditJournalError, journaled, type AuditJournalOptions } from './audit-journal.js';
export { fileListStore, topicListStore, type ListStore } from './list-store.js';
