/**
 * The desk in a real browser (Debian's Chromium driven by playwright-core) over the ClickHouse
 * server: an analyst logs in, opens the queue and an alert, records a disposition, releases a
 * dry-run hold, confirms another and asks for an enforced one's release; a supervisor approves it and finds it all in
 * the audit log. Streamed values carry script and quotes: no dialog may open. The screenshots
 * land in build/test-screenshots/desk/, or in docs/desk/ for the README with KANSHI_UPDATE_SCREENSHOTS=1.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Alert, Finding, Hold, InputEvent } from '@kanshi/contract';
import { addUser, DeskServer, fileListStore } from '@kanshi/desk';
import { openStore, type Store } from '@kanshi/store';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dropTestDatabase, integrationEndpoints, systemChromium, uniqueName } from '../integration/harness.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// docs/desk/ (the README's) only when asked: the pages show the time of the run, so every run
// would otherwise leave four changed images in the work tree
const SHOTS = process.env.KANSHI_UPDATE_SCREENSHOTS === '1' ? path.join(REPO, 'docs/desk') : path.join(REPO, 'build/test-screenshots/desk');
const XSS = `"'><script>alert(1)</script><img src=x onerror=alert(2)>`;
const PASSWORD = 'correct horse battery';
const T0 = Date.UTC(2026, 10, 30, 5, 12, 0);
const HIJACKED = 'ACC-0031842';

function finding(findingId: string, over: Partial<Finding>): Finding {
  return {
    findingId, kind: 'hijacked_pump_buy', severity: 'critical', score: 0.94, accountIds: [HIJACKED], symbols: ['XTKS:4597'],
    detectedAt: T0, evidence: ['login-88121', 'order-90211', 'order-90214'], revision: 1, threat: 0.92, vulnerability: 0.81, impact: 0.77,
    reasons: [
      { code: 'session_resume_foreign_device', detail: 'The session resumed on a device this account never logged in from, 4 minutes after a password reset.' },
      { code: 'liquidation', detail: 'Sold 96% of the holdings (¥8.4M) within 11 minutes of the new login.' },
      { code: 'thin_stock_buy', detail: 'Bought ¥7.9M of XTKS:4597, 3.1x its 20-day average daily value.' },
    ],
    ...over,
  };
}
const alertOf = (f: Finding, summary: string): Alert => ({
  alertId: `al-${f.findingId}`, findingId: f.findingId, kind: f.kind, severity: f.severity, score: f.score,
  accountIds: f.accountIds, symbols: f.symbols, at: f.detectedAt + 2_000, summary,
});

/** The hijacked account's morning: its own phone, then a reset and a resumed session abroad, a sell-off, the thin-stock buy. */
function timelineOf(accountId: string): InputEvent[] {
  const at = (min: number) => T0 + min * 60_000;
  const login = (eventId: string, ts: number, o: Partial<InputEvent & { type: 'login' }>): InputEvent => ({
    type: 'login', eventId, ts, accountId, result: 'success', authMethod: 'password_otp_app', channel: 'app', ip: '126.22.31.4', asn: 17676, country: 'JP', ipType: 'mobile',
    deviceId: 'dev-iphone-7f3a', userAgent: 'KabuApp/5.2 (iPhone; iOS 18.1)', ...o,
  } as InputEvent);
  const order = (eventId: string, ts: number, side: 'buy' | 'sell', symbol: string, quantity: number, price: number): InputEvent => ({
    type: 'order', eventId, ts, accountId, orderId: eventId, symbol, side, orderType: 'market', quantity, status: 'filled', fillQuantity: quantity, fillPrice: price, currency: 'JPY', channel: 'web',
  });
  return [
    login('login-88010', at(-600), {}),
    { type: 'account_event', eventId: 'chg-88120', ts: at(-16), accountId, action: 'password_change', ip: '185.220.101.33', deviceId: 'dev-win-c21e' },
    login('login-88121', at(-12), { authMethod: 'session_resume', channel: 'web', ip: '185.220.101.33', asn: 208294, country: 'NL', ipType: 'hosting', deviceId: 'dev-win-c21e', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' }),
    order('order-90211', at(-10), 'sell', 'XTKS:7203', 3_000, 2_810),
    order('order-90212', at(-9), 'sell', 'XTKS:6758', 400, 12_950),
    order('order-90214', at(-1), 'buy', 'XTKS:4597', 19_000, 416),
    { type: 'account_event', eventId: 'chg-88122', ts: at(2), accountId, action: 'withdrawal_request', ip: '185.220.101.33', deviceId: 'dev-win-c21e' },
  ];
}

let store: Store | undefined;
let server: DeskServer | undefined;
let browser: Browser | undefined;
let base = '';
let database = '';
let clickhouseUrl = '';
let skip: string | null = null;

before(async () => {
  const chrome = await systemChromium();
  if ('missing' in chrome) {
    skip = `no Chromium: ${chrome.missing}`;
    console.warn(`\n*** SKIPPING the desk browser test: ${skip} ***\n`);
    return;
  }
  const ep = await integrationEndpoints();
  clickhouseUrl = ep.clickhouseUrl;
  database = uniqueName('desk_browser');
  store = await openStore({ url: ep.clickhouseUrl, database });
  await store.migrate();
  const hostile = finding('f-xss', { accountIds: [`ACC-${XSS}`], symbols: [`XTKS:${XSS}`], severity: 'high', score: 0.71, detectedAt: T0 - 3_600_000,
    reasons: [{ code: 'new_device_login', detail: `Login from user agent ${XSS}` }] });
  const findings = [
    finding('f-hijack', {}),
    finding('f-takeover', { kind: 'account_takeover', severity: 'high', score: 0.82, detectedAt: T0 - 60_000, symbols: [] }),
    finding('f-campaign', { kind: 'pump_campaign', severity: 'medium', score: 0.58, accountIds: ['ACC-0007710', 'ACC-0019934', HIJACKED], detectedAt: T0 + 600_000 }),
    hostile,
  ];
  await store.writeFindings(findings);
  await store.writeAlerts([
    alertOf(findings[0], `${HIJACKED}: a taken-over account bought XTKS:4597 right after liquidating`),
    alertOf(findings[1], `${HIJACKED}: session resumed on a foreign device after a password reset`),
    alertOf(findings[2], '3 accounts with takeover signals bought XTKS:4597 within 40 min'),
    alertOf(hostile, `summary ${XSS}`),
  ]);
  const hold = (holdId: string, mode: Hold['mode'], accountId: string, reason: string): Hold => ({ holdId, accountId, findingId: 'f-hijack', at: T0 + 3_000, mode, reason });
  await store.writeHolds([
    hold('hold-dry', 'dry_run', HIJACKED, 'hijacked pump buy (dry run)'),
    hold('hold-enf', 'enforce', HIJACKED, 'hijacked pump buy'),
    hold('hold-xss', 'dry_run', `ACC-${XSS}`, `reason ${XSS}`),
  ]);
  await store.archiveEvents(timelineOf(HIJACKED).map((event, i) => ({ event, source: `desk-test/0@${i}` })));
  const desk = store.desk();
  await addUser(desk, { name: 'ana', role: 'analyst' }, PASSWORD);
  await addUser(desk, { name: 'sue', role: 'supervisor' }, PASSWORD);
  const lists = fileListStore(path.join(mkdtempSync(path.join(tmpdir(), 'kanshi-desk-lists-')), 'lists.ndjson'));
  server = new DeskServer({ desk, lists, log: { info() {}, warn() {}, error: (o: unknown, m?: string) => console.error(m, o) } });
  base = (await server.listen('127.0.0.1', 0)).url;
  browser = await chromium.launch({
    executablePath: chrome.path,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
  if (database) await dropTestDatabase(clickhouseUrl, database).catch(() => undefined);
});

async function loggedIn(name: string): Promise<{ page: Page; dialogs: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const dialogs: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  await page.goto(`${base}/alerts`);
  assert.equal(new URL(page.url()).pathname, '/login', 'without a session the desk shows the login');
  await page.fill('#name', name);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/alerts`).catch(async (e: Error) => {
    throw new Error(`${e.message}\nthe page instead (${page.url()}): ${(await page.textContent('body'))?.slice(0, 300)}`);
  });
  return { page, dialogs };
}

test('log in, work an alert, release holds (an enforced one with a supervisor), find it all in the audit', { timeout: 120_000 }, async (t) => {
  if (skip) {
    t.skip(skip);
    return;
  }
  const ana = await loggedIn('ana');
  const queue = ana.page;
  assert.match(await queue.textContent('.counts') ?? '', /open: 4/);
  const kinds = await queue.locator('tbody tr td:nth-child(3)').allTextContents();
  assert.deepEqual(kinds, ['hijacked pump buy', 'account takeover', 'hijacked pump buy', 'pump campaign'], 'highest score first');
  await queue.screenshot({ path: path.join(SHOTS, 'queue.png'), fullPage: true });

  await queue.click('a[href="/alerts/al-f-hijack"]');
  await queue.waitForURL(`${base}/alerts/al-f-hijack`);
  assert.match(await queue.textContent('main') ?? '', /The session resumed on a device this account never logged in from/);
  assert.match(await queue.textContent('main') ?? '', /0\.92 × 0\.81 × 0\.77 = 0\.57/);
  assert.equal(await queue.locator('tr.evidence').count(), 3, 'the timeline marks the three evidence events');
  assert.match(await queue.textContent('main') ?? '', /buy 19,000 XTKS:4597 market \(JPY\): filled 19,000 at 416/);
  await queue.selectOption('#disposition', 'confirmed_takeover');
  await queue.fill('#note', 'Customer confirms they did not log in; password reset by phone.');
  await queue.click('text=Record disposition');
  await queue.waitForSelector('text=confirmed takeover by ana');
  await queue.screenshot({ path: path.join(SHOTS, 'alert.png'), fullPage: true });
  // from the confirmed case to the block list in one step: its evidence login's device is picked, the analyst adds the address
  await queue.click('text=Block list this case\'s infrastructure');
  await queue.check('input[value="ip|185.220.101.33|"]');
  await queue.fill('textarea[name=reason]', 'Attacker device and exit of a confirmed takeover.');
  await queue.click('text=Add to the block list');
  await queue.waitForURL(`${base}/lists`);
  const listed = await queue.textContent('main') ?? '';
  for (const v of ['dev-win-c21e', '185.220.101.33', 'Attacker device and exit of a confirmed takeover.']) assert.ok(listed.includes(v), `the lists show ${v}`);

  // the hostile alert's page: its values are text, no script runs
  await queue.goto(`${base}/alerts/al-f-xss`);
  assert.ok((await queue.textContent('main'))?.includes('<script>alert(1)</script>'), 'the value is shown as text');

  await queue.goto(`${base}/holds`);
  await queue.fill('#reason-hold-dry', 'False alarm in dry run: the customer travelled.');
  await queue.click('#hold-hold-dry button[formaction$="/release"]');
  await queue.waitForURL(`${base}/holds`);
  await queue.fill('#reason-hold-enf', 'Customer verified in branch with ID.');
  await queue.click('#hold-hold-enf button[formaction$="/release"]');
  await queue.waitForURL(`${base}/holds`);
  assert.equal(await queue.textContent('#hold-hold-dry td:nth-child(4)'), 'released');
  assert.equal(await queue.textContent('#hold-hold-enf td:nth-child(4)'), 'release pending', 'an analyst alone does not release an enforced hold');
  assert.equal(await queue.textContent('#hold-hold-enf button[formaction$="/release"]'), 'Approve release');
  assert.equal(await queue.locator('#hold-hold-enf button[formaction$="/confirm"]').count(), 0, 'a hold under release is not confirmed');
  await queue.fill('#reason-hold-xss', 'Takeover confirmed with the customer by phone.');
  await queue.click('#hold-hold-xss button[formaction$="/confirm"]');
  await queue.waitForURL(`${base}/holds`);
  assert.equal(await queue.textContent('#hold-hold-xss td:nth-child(4)'), 'confirmed');

  const sue = await loggedIn('sue');
  await sue.page.goto(`${base}/holds`);
  await sue.page.fill('#reason-hold-enf', 'Second approval: ID check reviewed.');
  await sue.page.click('#hold-hold-enf button[formaction$="/release"]');
  await sue.page.waitForURL(`${base}/holds`);
  assert.equal(await sue.page.textContent('#hold-hold-enf td:nth-child(4)'), 'released');
  await sue.page.screenshot({ path: path.join(SHOTS, 'holds.png'), fullPage: true });

  await sue.page.goto(`${base}/audit`);
  const audit = await sue.page.textContent('main') ?? '';
  for (const action of ['desk.login', 'desk.account_viewed', 'desk.alert_disposition', 'desk.list_entry_added', 'desk.hold_release_requested', 'desk.hold_released', 'desk.hold_confirmed']) assert.ok(audit.includes(action), `the audit shows ${action}`);
  await sue.page.screenshot({ path: path.join(SHOTS, 'audit.png'), fullPage: true });

  // what the order system and the auditors read: the release records in ClickHouse
  const holds = await store!.desk().holds({ accountId: HIJACKED });
  assert.deepEqual(holds.map((h) => [h.holdId, h.state, h.actions.map((a) => `${a.action} by ${a.actor}`)]).sort(), [
    ['hold-dry', 'released', ['released by ana']],
    ['hold-enf', 'released', ['release_requested by ana', 'released by sue']],
  ]);
  const entries = await store!.desk().auditLog({ action: 'desk.hold_released' });
  assert.deepEqual(entries.map((e) => [e.actor, e.subject]).sort(), [['desk:ana', 'hold-dry'], ['desk:sue', 'hold-enf']]);
  assert.deepEqual([...ana.dialogs, ...sue.dialogs], [], 'no script from the event stream ran');
});
