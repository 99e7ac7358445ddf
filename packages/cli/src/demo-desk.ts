/**
 * `npm start`'s last step: the demo's findings, alerts, holds and the flagged accounts' events
 * written to the desk's embedded store, and a one-time login, so `kanshi desk` opens on them.
 * Best effort: a desk that cannot be loaded (chdb missing, its directory in use) is one line of
 * output, never a failed demo.
 */
import { randomBytes } from 'node:crypto';
import { RejectedEvent, validateAccount, type AccountSnapshot, type Finding, type Hold, type InputEvent } from '@kanshi/contract';
import { alertOf } from '@kanshi/alerter';
import { addUser, openDeskStore } from '@kanshi/desk';
import { loadConfig } from '@kanshi/runtime';
import type { ArchivedEvent } from '@kanshi/store';
import { readLines } from './ndjson.js';

const ALERTED = new Set(['high', 'critical']);
const ARCHIVE_BATCH = 5_000;

export async function loadDemoIntoDesk(o: { findings: Finding[]; holds: Hold[]; eventsFile: string; accountsFile?: string; env: NodeJS.ProcessEnv }): Promise<string> {
  // always embedded: the demo needs no server, and must not write into one the shell points at
  const cfg = loadConfig('desk', { ...o.env, CLICKHOUSE_URL: '' });
  const password = randomBytes(12).toString('base64url');
  let events = 0;
  try {
    const store = await openDeskStore(cfg, { info: () => undefined, warn: () => undefined });
    try {
      await store.writeFindings(o.findings);
      await store.writeAlerts(o.findings.filter((f) => ALERTED.has(f.severity)).map(alertOf));
      await store.writeHolds(o.holds);
      const flagged = [...new Set(o.findings.flatMap((f) => f.accountIds))];
      // every account's orders of a flagged symbol too: the campaign view's price and volume
      const symbols = [...new Set(o.findings.flatMap((f) => f.symbols))];
      let batch: ArchivedEvent[] = [];
      for await (const { line, n } of readLines(o.eventsFile)) {
        // a substring test first: only the flagged accounts' and symbols' lines are worth parsing
        if (!flagged.some((id) => line.includes(id)) && !symbols.some((sym) => line.includes(sym))) continue;
        const event = JSON.parse(line) as InputEvent;
        if (!flagged.includes(event.accountId) && !(event.type === 'order' && symbols.includes(event.symbol))) continue;
        batch.push({ event, source: `${o.eventsFile}:${n}` });
        if (batch.length >= ARCHIVE_BATCH) {
          await store.archiveEvents(batch);
          events += batch.length;
          batch = [];
        }
      }
      await store.archiveEvents(batch);
      events += batch.length;
      // the flagged accounts' snapshots (accounts.ndjson, what kanshi.accounts carries): the alert view's holdings chart
      if (o.accountsFile) {
        const snapshots: AccountSnapshot[] = [];
        for await (const { line } of readLines(o.accountsFile)) {
          if (!flagged.some((id) => line.includes(id))) continue;
          const a = validateAccount(JSON.parse(line));
          if (!(a instanceof RejectedEvent) && flagged.includes(a.accountId)) snapshots.push(a);
        }
        await store.desk().writeAccountSnapshots(snapshots, Date.now());
      }
      await addUser(store.desk(), { name: 'demo', role: 'supervisor' }, password);
    } finally {
      await store.close();
    }
  } catch (e) {
    return `(The desk was not loaded with the demo: ${(e as Error).message}. Is a desk running on ${cfg.deskData}? Stop it and run the demo again, or set KANSHI_DESK_DATA.)`;
  }
  const port = cfg.deskPort;
  const vars = `${o.env.CLICKHOUSE_URL ? 'CLICKHOUSE_URL= ' : ''}${o.env.KANSHI_DESK_DATA ? `KANSHI_DESK_DATA=${cfg.deskData} ` : ''}`;
  return [
    `Work these alerts in the desk (${o.findings.length} findings, ${o.holds.length} holds, ${events.toLocaleString('en-US')} events of the flagged accounts and symbols in ${cfg.deskData}):`,
    `  ${vars}npx kanshi desk      then open http://${cfg.deskBind}:${port}/login as demo / ${password} (supervisor; a new password each run)`,
  ].join('\n');
}
