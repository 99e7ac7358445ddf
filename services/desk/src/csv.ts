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

const HEAD = 'at_utc,actor,action,subject,detail,audit_id\r\n';
const line = (e: AuditEntry) => `${[new Date(e.at).toISOString(), e.actor, e.action, e.subject, e.detail, e.auditId].map(csvCell).join(',')}\r\n`;

export function auditCsv(entries: readonly AuditEntry[]): string {
  return HEAD + entries.map(line).join('');
}

/** The same CSV a line at a time, as the entries come: the export of a log of any length. */
export async function* auditCsvLines(entries: AsyncIterable<AuditEntry>): AsyncGenerator<string> {
  yield HEAD;
  for await (const e of entries) yield line(e);
}
