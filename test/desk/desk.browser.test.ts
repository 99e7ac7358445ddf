/**
 * The desk in a real browser (Debian's Chromium driven by playwright-core) over the ClickHouse
 * server: an analyst logs in, opens the queue (a new alert appears on it live) and an alert, works its case, records a disposition, releases a
 * dry-run hold, confirms another and asks for an enforced one's release; a supervisor approves it and finds it all in
 * the audit log, and each hold change on Kafka (account-holds, account-holds-dry-run) as well as in
 * ClickHouse. Streamed values carry script and quotes: no dialog may open. The screenshots
 * land in build/test-screenshots/desk/, or in docs/desk/ for the README with KANSHI_UPDATE_SCREENSHOTS=1.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fromAvro } from '@kanshi/bus';
import type { Alert, Finding, Hold, InputEvent } from '@kanshi/contract';
import { addUser, AuditJournal, busHoldRecords, DeskServer, fileListStore, journaled } from '@kanshi/desk';
import type { Store } from '@kanshi/store';
import { chromium, type Browser, type Page } from 'playwright-core';
import { systemChromium, uniqueName } from '../integration/harness.js';
import { openTestNamespace, type TestNamespace } from '../integration/namespace.js';

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

const SYMBOL = 'XTKS:4597';
const BENEFICIARY = 'ACC-0090001';
const ACCOMPLICES = ['ACC-0007710', 'ACC-0019934'];

/**
 * The campaign on XTKS:4597: the market trading it all morning (a thin stock around ¥300 that
 * runs to ¥620 and falls back), two more taken-over accounts buying through the attacker's
 * hosting range, and a beneficiary who bought a week before and sells into the spike.
 */
function campaignEvents(): InputEvent[] {
  const at = (min: number) => T0 + min * 60_000;
  const price = (min: number) => Math.round(min < -20 ? 300 + (min + 80) * 0.5 : min < 25 ? 330 + (min + 20) * 6.4 : Math.max(380, 618 - (min - 25) * 7));
  const fill = (eventId: string, accountId: string, side: 'buy' | 'sell', min: number, quantity: number): InputEvent => ({
    type: 'order', eventId, ts: at(min), accountId, orderId: eventId, symbol: SYMBOL, side, orderType: 'market', quantity, status: 'filled', fillQuantity: quantity, fillPrice: price(min), currency: 'JPY', channel: 'web',
  });
  const login = (eventId: string, accountId: string, min: number, ip: string, asn: number, deviceId: string): InputEvent => ({
    type: 'login', eventId, ts: at(min), accountId, result: 'success', authMethod: 'session_resume', channel: 'web', ip, asn, country: 'NL', ipType: 'hosting', deviceId, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
  });
  const market: InputEvent[] = [];
  for (let min = -80; min <= 60; min += 3) {
    const busy = min > -20 && min < 25 ? 4_000 : 0;
    market.push(fill(`mkt-${min}`, `ACC-MKT-${(min + 80) % 7}`, min % 2 === 0 ? 'buy' : 'sell', min, 300 + (((min + 80) * 37) % 900) + busy));
  }
  return [
    ...market,
    login('login-7710', ACCOMPLICES[0], -14, '185.220.101.47', 208294, 'dev-win-c21e'),
    fill('order-7710', ACCOMPLICES[0], 'buy', -4, 12_000),
    login('login-9934', ACCOMPLICES[1], -11, '185.220.101.52', 208294, 'dev-win-88f0'),
    fill('order-9934', ACCOMPLICES[1], 'buy', 2, 15_000),
    login('login-90001', BENEFICIARY, -30, '185.220.101.90', 208294, 'dev-mac-51d2'),
    fill('order-90001', BENEFICIARY, 'sell', 18, 40_000),
    fill('order-90002', BENEFICIARY, 'sell', 24, 35_000),
  ];
}

let ns: TestNamespace | undefined;
let store: Store | undefined;
let server: DeskServer | undefined;
let journal: AuditJournal | undefined;
let browser: Browser | undefined;
let base = '';
let skip: string | null = null;

before(async () => {
  const chrome = await systemChromium();
  if ('missing' in chrome) {
    skip = `no Chromium: ${chrome.missing}`;
    console.warn(`\n*** SKIPPING the desk browser test: ${skip} ***\n`);
    return;
  }
  // a deployment of its own: topics behind a fresh prefix (account-holds among them) and a database
  ns = await openTestNamespace('desk_browser');
  store = ns.store;
  const hostile = finding('f-xss', { accountIds: [`ACC-${XSS}`], symbols: [`XTKS:${XSS}`], severity: 'high', score: 0.71, detectedAt: T0 - 3_600_000,
    reasons: [{ code: 'new_device_login', detail: `Login from user agent ${XSS}` }] });
  const findings = [
    finding('f-hijack', {}),
    finding('f-takeover', { kind: 'account_takeover', severity: 'high', score: 0.82, detectedAt: T0 - 60_000, symbols: [] }),
    finding('f-campaign', { kind: 'pump_campaign', severity: 'medium', score: 0.58, accountIds: ['ACC-0007710', 'ACC-0019934', HIJACKED], detectedAt: T0 + 600_000 }),
    hostile,
    finding('f-dump', { kind: 'dump_beneficiary', severity: 'medium', score: 0.55, accountIds: [BENEFICIARY], detectedAt: T0 + 25 * 60_000,
      reasons: [{ code: 'sold_into_pump', detail: 'Sold 75,000 XTKS:4597 bought 6 days before the campaign, at a 96% premium.' }] }),
    // outside the campaign (no symbol): an accomplice's takeover from the attacker's device and /24
    finding('f-accomplice', { kind: 'account_takeover', severity: 'high', score: 0.79, accountIds: [ACCOMPLICES[0]], symbols: [], detectedAt: T0 - 13 * 60_000, evidence: ['login-7710'] }),
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
  await store.archiveEvents([...timelineOf(HIJACKED), ...campaignEvents()].map((event, i) => ({ event, source: `desk-test/0@${i}` })));
  const desk = store.desk();
  // the hijacked account as kanshi.accounts had it: what the holdings chart starts from
  await desk.writeAccountSnapshots([{ accountId: HIJACKED, openedAt: T0 - 2_000 * 86_400_000, homeCountry: 'JP', mfa: 'app', holdingsJpy: 14_200_000,
    positions: [{ symbol: 'XTKS:7203', quantity: 3_100 }, { symbol: 'XTKS:6758', quantity: 400 }, { symbol: 'XTKS:9984', quantity: 200 }] }], T0 - 86_400_000);
  await addUser(desk, { name: 'ana', role: 'analyst' }, PASSWORD);
  await addUser(desk, { name: 'sue', role: 'supervisor' }, PASSWORD);
  const lists = fileListStore(path.join(mkdtempSync(path.join(tmpdir(), 'kanshi-desk-lists-')), 'lists.ndjson'));
  // the audit entries through the journal, as the service writes them (the audit page flushes it first)
  journal = await AuditJournal.open({ dir: mkdtempSync(path.join(tmpdir(), 'kanshi-desk-journal-')), sink: desk, log: { info() {}, warn() {}, error: (o: unknown, m?: string) => console.error(m, o) } });
  journal.start();
  server = new DeskServer({ desk: journaled(desk, journal), lists, log: { info() {}, warn() {}, error: (o: unknown, m?: string) => console.error(m, o) }, holdRecords: busHoldRecords(ns.bus, ns.topics), livePollMs: 500 });
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
  await journal?.close();
  await ns?.close();
});

const utcText = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');

/** The case section of an alert page (its heading to the end of its forms), as a screenshot clip. */
async function caseArea(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const top = (await page.locator('#case').boundingBox())!;
  const end = (await page.locator('.case-forms').boundingBox())!;
  return { x: 0, y: top.y - 8, width: 1280, height: end.y + end.height - top.y + 16 };
}

/** From one element's top to another's bottom, as a screenshot clip. */
async function area(page: Page, from: string, to: string): Promise<{ x: number; y: number; width: number; height: number }> {
  const top = (await page.locator(from).first().boundingBox())!;
  const end = (await page.locator(to).first().boundingBox())!;
  return { x: 0, y: top.y - 8, width: 1280, height: end.y + end.height - top.y + 16 };
}

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

  // live: an alert the alerter writes now appears on the open page, without a reload
  await queue.waitForSelector('#live:text-matches("^Live:")');
  const before = queue.url();
  const live = finding('f-live', { kind: 'account_takeover', severity: 'high', score: 0.77, accountIds: ['ACC-0044120'], symbols: [], detectedAt: T0 + 900_000 });
  await store!.writeFindings([live]);
  await store!.writeAlerts([alertOf(live, `ACC-0044120: new device from a hosting ASN ${XSS}`)]);
  await queue.waitForSelector('tr.new', { timeout: 15_000 });
  assert.equal(queue.url(), before, 'the same page, not reloaded');
  assert.deepEqual(await queue.locator('tr.new td').allTextContents(), ['high', '0.77', 'account takeover', 'ACC-0044120', '', utcText(T0 + 902_000), 'open', '', `ACC-0044120: new device from a hosting ASN ${XSS}`]);
  assert.equal(await queue.getAttribute('tr.new a', 'href'), '/alerts/al-f-live');
  assert.match(await queue.textContent('#live') ?? '', /1 new alert since this page opened/);
  await queue.screenshot({ path: path.join(SHOTS, 'queue.png'), fullPage: true });

  await queue.click('a[href="/alerts/al-f-hijack"]');
  await queue.waitForURL(`${base}/alerts/al-f-hijack`);
  assert.match(await queue.textContent('main') ?? '', /The session resumed on a device this account never logged in from/);
  assert.match(await queue.textContent('main') ?? '', /0\.92 × 0\.81 × 0\.77 = 0\.57/);
  assert.equal(await queue.locator('tr.evidence').count(), 3, 'the timeline marks the three evidence events');
  assert.match(await queue.textContent('main') ?? '', /buy 19,000 XTKS:4597 market \(JPY\): filled 19,000 at 416/);
  const related = await queue.locator('#related + table tbody tr td:nth-child(2)').allTextContents();
  assert.deepEqual(related, ['pump campaign', 'dump beneficiary'], 'the other findings of the campaign, the beneficiary\'s among them');
  // holdings before and after: sold off after the foreign login, the thin stock bought
  const holdings = await queue.locator('.holdings-table tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(holdings, [
    ['XTKS:7203', '3,100', '¥8,711,000', '100', '¥281,000'], ['XTKS:4597', '0', '¥0', '19,000', '¥7,904,000'],
    ['XTKS:6758', '400', '¥5,180,000', '0', '¥0'], ['XTKS:9984', '200', '—', '200', '—'],
  ]);
  assert.equal(await queue.locator('.holdings svg .bar-after').count(), 3, 'a bar per valued symbol');
  const byInfra = await queue.locator('#infra-related tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(1).map((td) => td.textContent)));
  assert.deepEqual(byInfra, [['account takeover', 'high', ACCOMPLICES[0], 'device dev-win-c21e; IP prefix 185.220.101.0/24']], 'the accomplice\'s takeover, and what it shares');
  await queue.screenshot({ path: path.join(SHOTS, 'holdings.png'), fullPage: true, clip: await area(queue, '#related-infra', '.holdings-table') });
  // the case: taken, commented, escalated, then disposed of, each with who and when
  await queue.click('#take-case');
  await queue.waitForURL(`${base}/alerts/al-f-hijack#case`);
  assert.equal(await queue.textContent('#case-owner'), 'ana');
  await queue.fill('#comment', 'Called the customer: they did not log in from the Netherlands.');
  await queue.click('text=Add comment');
  await queue.waitForSelector('text=Called the customer');
  await queue.selectOption('#escalate-to', 'sue');
  await queue.fill('#escalate-note', 'Loss over ¥8M: a supervisor decides on the enforced hold.');
  await queue.click('button:text("Escalate")');
  await queue.waitForSelector('text=escalated to sue by ana');
  assert.equal(await queue.textContent('#case-owner'), 'sue');
  await queue.selectOption('#disposition', 'confirmed_takeover');
  await queue.fill('#note', 'Customer confirms they did not log in; password reset by phone.');
  await queue.click('text=Record disposition');
  await queue.waitForSelector('text=confirmed takeover by ana');
  const history = (await queue.locator('#case-history li').allTextContents()).map((l) => l.replace(/^\S+ \S+ /, ''));
  assert.deepEqual(history, [
    'assigned to ana by ana',
    'commented by ana: Called the customer: they did not log in from the Netherlands.',
    'escalated to sue by ana: Loss over ¥8M: a supervisor decides on the enforced hold.',
    'disposition: confirmed takeover by ana: Customer confirms they did not log in; password reset by phone.',
  ]);
  await queue.screenshot({ path: path.join(SHOTS, 'alert.png'), fullPage: true });
  await queue.screenshot({ path: path.join(SHOTS, 'case.png'), fullPage: true, clip: await caseArea(queue) });
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

  // the campaign: from the campaign alert to the price, the marked trades and the shared range
  await queue.goto(`${base}/alerts/al-f-campaign`);
  await queue.click('#campaign-link');
  await queue.waitForURL(`${base}/campaigns/f-campaign`);
  const marked = await queue.locator('#marked-orders tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(1, 4).map((td) => td.textContent)));
  assert.deepEqual(marked, [
    [ACCOMPLICES[0], 'hijacked', 'buy'], [HIJACKED, 'hijacked', 'buy'], [ACCOMPLICES[1], 'hijacked', 'buy'], [BENEFICIARY, 'beneficiary', 'sell'], [BENEFICIARY, 'beneficiary', 'sell'],
  ], 'the hijacked buys and the beneficiary sells, in time order, no market trade');
  assert.equal(await queue.locator('svg.chart path.mark').count(), 5);
  const infra = await queue.locator('#shared-infra tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual((infra.find((r) => r[1] === '185.220.101.0/24')?.[2] ?? '').split(', ').sort(), [ACCOMPLICES[0], ACCOMPLICES[1], BENEFICIARY, HIJACKED].sort(), 'the beneficiary logs in from the attackers\' range');
  await queue.screenshot({ path: path.join(SHOTS, 'campaign.png'), fullPage: true });

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
  // the escalated case is in sue's queue, and only that one
  await sue.page.click('header a:text("My queue")');
  await sue.page.waitForURL(`${base}/alerts?assignee=sue`);
  assert.deepEqual(await sue.page.locator('tbody tr td:nth-child(3) a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['/alerts/al-f-hijack']);
  await sue.page.goto(`${base}/holds`);
  await sue.page.fill('#reason-hold-enf', 'Second approval: ID check reviewed.');
  await sue.page.click('#hold-hold-enf button[formaction$="/release"]');
  await sue.page.waitForURL(`${base}/holds`);
  assert.equal(await sue.page.textContent('#hold-hold-enf td:nth-child(4)'), 'released');
  await sue.page.screenshot({ path: path.join(SHOTS, 'holds.png'), fullPage: true });

  await sue.page.goto(`${base}/audit`);
  const audit = await sue.page.textContent('main') ?? '';
  for (const action of ['desk.login', 'desk.account_viewed', 'desk.case_assigned', 'desk.case_commented', 'desk.case_escalated', 'desk.alert_disposition', 'desk.list_entry_added', 'desk.hold_release_requested', 'desk.hold_released', 'desk.hold_confirmed']) assert.ok(audit.includes(action), `the audit shows ${action}`);
  await sue.page.screenshot({ path: path.join(SHOTS, 'audit.png'), fullPage: true });

  // what the order system and the auditors read: the release records in ClickHouse
  const holds = await store!.desk().holds({ accountId: HIJACKED });
  assert.deepEqual(holds.map((h) => [h.holdId, h.state, h.actions.map((a) => `${a.action} by ${a.actor}`)]).sort(), [
    ['hold-dry', 'released', ['released by ana']],
    ['hold-enf', 'released', ['release_requested by ana', 'released by sue']],
  ]);
  const entries = await store!.desk().auditLog({ action: 'desk.hold_released' });
  assert.deepEqual(entries.map((e) => [e.actor, e.subject]).sort(), [['desk:ana', 'hold-dry'], ['desk:sue', 'hold-enf']]);

  // what the order system acts on: the changes on Kafka, decoded through the registry like any consumer
  const onKafka = async (topic: string, want: number): Promise<Hold[]> => {
    const got: Hold[] = [];
    const sub = await ns!.bus.subscribe(topic, { groupId: uniqueName('it_desk_holds'), fromBeginning: true }, (batch) => {
      for (const d of batch) got.push(fromAvro(d.value) as Hold);
    });
    const deadline = Date.now() + 60_000;
    while (got.length < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await sub.stop();
    return got;
  };
  const enforcedRecords = await onKafka(ns!.topics.accountHolds, 2);
  assert.deepEqual(enforcedRecords.map((h) => [h.holdId, h.accountId, h.mode, h.state, h.changedBy, h.approvedBy, h.changeReason]), [
    ['hold-enf', HIJACKED, 'enforce', 'release_pending', 'ana', null, 'Customer verified in branch with ID.'],
    ['hold-enf', HIJACKED, 'enforce', 'released', 'ana', 'sue', 'Second approval: ID check reviewed.'],
  ]);
  const enfRow = holds.find((h) => h.holdId === 'hold-enf')!;
  assert.deepEqual(enforcedRecords.map((h) => h.changeId), enfRow.actions.map((a) => a.actionId), 'each record is the ClickHouse row of the same change');
  const dryRecords = await onKafka(ns!.topics.accountHoldsDryRun, 2);
  assert.deepEqual(dryRecords.map((h) => [h.holdId, h.state, h.changedBy]).sort(), [['hold-dry', 'released', 'ana'], [`hold-xss`, 'confirmed', 'ana']].sort());
  assert.deepEqual([...ana.dialogs, ...sue.dialogs], [], 'no script from the event stream ran');
});
