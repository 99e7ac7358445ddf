import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Hold } from '@kanshi/contract';
import type { AuditEntry, DeskHold, HoldAction } from '@kanshi/store';
import { Sessions } from './auth.js';
import { busHoldRecords, holdChange, type HoldRecords } from './hold-records.js';
import { DeskServer, type DeskBackend } from './server.js';

const AT = Date.UTC(2026, 10, 30, 5, 12);
const enforced = (actions: HoldAction[] = []): DeskHold => ({ holdId: 'h-enf', accountId: 'ACC-1', findingId: 'f-1', at: AT, mode: 'enforce', reason: 'hijacked pump buy', state: actions.length ? 'release_pending' : 'active', actions });
const requested: HoldAction = { actionId: 'a-1', holdId: 'h-enf', accountId: 'ACC-1', action: 'release_requested', actor: 'ana', reason: 'customer verified', at: AT + 60_000 };

test('a hold change is the hold (same holdId, account, finding, mode, reason) with its new state and who changed it', () => {
  const confirm = holdChange(enforced(), { action: 'confirmed', reason: 'customer denies the trades' }, 'ana', 'c-1', AT + 1_000);
  assert.deepEqual(confirm, {
    holdId: 'h-enf', accountId: 'ACC-1', findingId: 'f-1', at: AT, mode: 'enforce', reason: 'hijacked pump buy',
    state: 'confirmed', changeId: 'c-1', changedAt: AT + 1_000, changedBy: 'ana', changeReason: 'customer denies the trades', approvedBy: null,
  });
  assert.equal(holdChange(enforced(), { action: 'release_requested', reason: 'r' }, 'ana', 'c-2', AT).state, 'release_pending');
  // the approval that makes an enforced release take effect: requester and approver both named
  const released = holdChange(enforced([requested]), { action: 'released', reason: 'ID check reviewed' }, 'sue', 'c-3', AT + 120_000);
  assert.deepEqual([released.state, released.changedBy, released.approvedBy, released.changeReason], ['released', 'ana', 'sue', 'ID check reviewed']);
  const dry = holdChange({ ...enforced(), mode: 'dry_run' }, { action: 'released', reason: 'travel' }, 'ana', 'c-4', AT);
  assert.deepEqual([dry.changedBy, dry.approvedBy], ['ana', null]);
});

test('an enforced hold\'s change goes to account-holds, a dry-run hold\'s to account-holds-dry-run, keyed by account', async () => {
  const sent: [string, string | null, Hold][] = [];
  const records = busHoldRecords({ publish: async (topic, ms) => { for (const m of ms) sent.push([topic, m.key, m.value as Hold]); } }, { accountHolds: 'p.account-holds', accountHoldsDryRun: 'p.account-holds-dry-run' });
  assert.equal(await records.publish(holdChange(enforced(), { action: 'confirmed', reason: 'r' }, 'ana', 'c', AT)), 'p.account-holds');
  await records.publish(holdChange({ ...enforced(), mode: 'dry_run' }, { action: 'released', reason: 'r' }, 'ana', 'c', AT));
  assert.deepEqual(sent.map(([t, k, v]) => [t, k, v.state]), [['p.account-holds', 'ACC-1', 'confirmed'], ['p.account-holds-dry-run', 'ACC-1', 'released']]);
  assert.match(records.where, /p\.account-holds/);
});

const servers: DeskServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

/** A desk over a fake store with one active enforced hold and a signed-in supervisor. */
async function deskWith(holdRecords: HoldRecords | undefined) {
  const written = { actions: [] as HoldAction[], audits: [] as AuditEntry[] };
  const backend = {
    holds: async () => [enforced()],
    holdCounts: async () => ({ total: 1, confirmed: 0, release_pending: 0, released: 0 }),
    writeHoldAction: async (a: HoldAction) => { written.actions.push(a); },
    audit: async (e: AuditEntry[]) => { written.audits.push(...e); },
  } as unknown as DeskBackend;
  const sessions = new Sessions();
  const s = sessions.create({ name: 'sue', role: 'supervisor' });
  const server = new DeskServer({ desk: backend, log: { info() {}, warn() {}, error() {} }, sessions, holdRecords });
  servers.push(server);
  const base = (await server.listen('127.0.0.1', 0)).url;
  const confirm = () => fetch(`${base}/holds/h-enf/confirm`, {
    method: 'POST', redirect: 'manual', headers: { cookie: `kanshi_session=${s.token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: s.csrf, reason: 'customer denies the trades' }).toString(),
  });
  return { written, confirm };
}

test('a change that cannot be published is refused (503) and recorded nowhere: the desk never shows a state the order system lacks', async () => {
  const { written, confirm } = await deskWith({ where: 'on Kafka, account-holds', publish: async () => { throw new Error('broker down'); } });
  const r = await confirm();
  assert.equal(r.status, 503);
  assert.match(await r.text(), /could not be published \(on Kafka, account-holds\); nothing was recorded/);
  assert.equal(written.actions.length, 0);
  assert.deepEqual(written.audits.map((a) => a.action), ['desk.holds_viewed'], 'only the page shown again, no hold step');
});

test('a published change is then a hold_actions row and an audit entry naming the change and where it went', async () => {
  const sent: Hold[] = [];
  const { written, confirm } = await deskWith({ where: 'on Kafka, account-holds', publish: async (h) => { sent.push(h); return 'account-holds'; } });
  assert.equal((await confirm()).status, 303);
  assert.equal(sent.length, 1);
  assert.equal(written.actions[0].actionId, sent[0].changeId, 'the record and the row share the change id');
  assert.match(written.audits.find((a) => a.action === 'desk.hold_confirmed')?.detail ?? '', new RegExp(`change ${sent[0].changeId}, record on account-holds`));
});

test('without Kafka (embedded mode) the change is recorded and the holds page says nothing reaches account-holds', async () => {
  const { written, confirm } = await deskWith(undefined);
  assert.equal((await confirm()).status, 303);
  assert.equal(written.actions.length, 1);
  assert.match(written.audits.find((a) => a.action === 'desk.hold_confirmed')?.detail ?? '', /no record: embedded mode/);
});
