/**
 * The audit log as CSV for auditors. Cells are quoted (RFC 4180), and a cell a spreadsheet would
 * take for a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`: account ids and
 * reasons come from the event stream, and a CSV opened in Excel must not run them.
 */
import type { AuditEntry } from '@kanshi/store';

export function csvCell(value: string): string {
  const inert = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${inert.replace(/"/g, '""')}"`;
}

export function auditCsv(entries: readonly AuditEntry[]): string {
  const head = ['at_utc', 'actor', 'action', 'subject', 'detail', 'audit_id'];
  const rows = entries.map((e) => [new Date(e.at).toISOString(), e.actor, e.action, e.subject, e.detail, e.auditId].map(csvCell).join(','));
  return `${[head.join(','), ...rows].join('\r\n')}\r\n`;
}
