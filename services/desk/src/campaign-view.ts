/**
 * The campaign view (`/campaigns/<findingId>`): for a finding that names a symbol, the findings
 * on that symbol around it (the hijacked accounts of campaign and pump-buy findings, the
 * beneficiaries of dump findings), the symbol's price and volume over the campaign with their
 * buys and sells marked, and the infrastructure those accounts share.
 */
import type { Finding, LoginEvent, OrderEvent } from '@kanshi/contract';
import type { DeskStore } from '@kanshi/store';
import { infraGraph, priceVolumeChart, sharedInfrastructure } from './campaign-chart.js';
import { html, pathOf, utc, type Html } from './html.js';

const HOUR = 3_600_000;
/** Findings this close to the one asked about, on its symbol, belong to the same campaign. */
const AROUND_MS = 6 * HOUR;
const MAX_ACCOUNTS = 20;
/** Finding kinds whose accounts are the hijacked ones, and the kind whose accounts profit. */
const HIJACKED_KINDS = new Set(['pump_campaign', 'hijacked_pump_buy']);
const BENEFICIARY_KIND = 'dump_beneficiary';

/** Whether a finding has a campaign view: it names a symbol. */
export const hasCampaign = (f: { symbols: string[] }) => f.symbols.length > 0;

export interface CampaignView {
  subject: Finding;
  symbol: string;
  from: number;
  to: number;
  findings: Finding[];
  members: Set<string>;
  beneficiaries: Set<string>;
  orders: OrderEvent[];
  logins: LoginEvent[];
}

export function campaignRoles(findings: Finding[]): { members: Set<string>; beneficiaries: Set<string> } {
  const members = new Set(findings.filter((f) => HIJACKED_KINDS.has(f.kind)).flatMap((f) => f.accountIds));
  const beneficiaries = new Set(findings.filter((f) => f.kind === BENEFICIARY_KIND).flatMap((f) => f.accountIds).filter((a) => !members.has(a)));
  return { members, beneficiaries };
}

/** From 90 min before the first finding to an hour after the last, at most 12 h. */
export function campaignWindow(findings: Finding[]): { from: number; to: number } {
  const times = findings.map((f) => f.detectedAt);
  const from = Math.min(...times) - 1.5 * HOUR;
  return { from, to: Math.min(Math.max(...times) + HOUR, from + 12 * HOUR) };
}

export type CampaignSource = Pick<DeskStore, 'finding' | 'symbolFindings' | 'symbolOrders' | 'accountTimeline'>;

/** The view's data, or null when the finding is unknown or names no symbol. */
export async function loadCampaign(desk: CampaignSource, findingId: string): Promise<CampaignView | null> {
  const subject = await desk.finding(findingId);
  if (!subject || !hasCampaign(subject)) return null;
  const symbol = subject.symbols[0];
  const near = await desk.symbolFindings(symbol, subject.detectedAt - AROUND_MS, subject.detectedAt + AROUND_MS);
  const findings = near.some((f) => f.findingId === subject.findingId) ? near : [...near, subject];
  const { from, to } = campaignWindow(findings);
  const { members, beneficiaries } = campaignRoles(findings);
  const accounts = [...members, ...beneficiaries].slice(0, MAX_ACCOUNTS);
  const [orders, timelines] = await Promise.all([
    desk.symbolOrders(symbol, from, to),
    Promise.all(accounts.map((a) => desk.accountTimeline(a, to, { afterMs: 0, limit: 500 }))),
  ]);
  return {
    subject, symbol, from, to, findings, members, beneficiaries,
    orders: orders.filter((e): e is OrderEvent & { type: 'order' } => e.type === 'order'),
    logins: timelines.flat().filter((e): e is LoginEvent & { type: 'login' } => e.type === 'login'),
  };
}

/** The accounts a campaign view shows, what its audit entries name. */
export const campaignAccounts = (v: CampaignView) => [...v.members, ...v.beneficiaries].slice(0, MAX_ACCOUNTS);

const words = (code: string) => code.replace(/_/g, ' ');
const accountList = (ids: Iterable<string>) => {
  const list = [...ids];
  return list.length ? html`${list.map((id, i) => html`${i ? ', ' : ''}<a href="${`/alerts?account=${encodeURIComponent(id)}`}"><code>${id}</code></a>`)}` : html`<span class="muted">none found</span>`;
};

export function campaignPage(v: CampaignView): Html {
  const pv = priceVolumeChart(v.orders, v.members, v.beneficiaries, v.from, v.to);
  const shared = sharedInfrastructure(v.logins);
  const accounts = campaignAccounts(v);
  return html`<h1>Campaign on ${v.symbol}</h1>
<p>${utc(v.from)} to ${utc(v.to)} · ${v.findings.length} findings on ${v.symbol} · from the finding <code>${v.subject.findingId}</code> (${words(v.subject.kind)})</p>
<table><tbody><tr><th>Hijacked accounts</th><td>${accountList(v.members)}</td></tr><tr><th>Beneficiaries</th><td>${accountList(v.beneficiaries)}</td></tr></tbody></table>
<h2>Price and volume</h2>
<p class="muted">Every archived fill of ${v.symbol} (volume-weighted price per bucket, volume below); <span class="key key-member">▲ hijacked buy</span> <span class="key key-beneficiary">▼ beneficiary sell</span>.</p>
<figure class="wide">${pv.svg}</figure>
${pv.marked.length ? html`<table id="marked-orders"><thead><tr><th>At (UTC)</th><th>Account</th><th>Who</th><th>Side</th><th>Filled</th><th>Price</th></tr></thead><tbody>
${pv.marked.map((m) => html`<tr><td>${utc(m.order.ts)}</td><td><code>${m.order.accountId}</code></td><td>${m.role === 'member' ? 'hijacked' : 'beneficiary'}</td><td>${m.order.side}</td><td>${(m.order.fillQuantity ?? 0).toLocaleString('en-US')}</td><td>${String(m.order.fillPrice ?? '')}</td></tr>`)}</tbody></table>` : html`<p class="muted">No fills of these accounts in the archive.</p>`}
<h2>Shared infrastructure</h2>
${shared.length ? html`<figure class="wide">${infraGraph(accounts, shared, v.members, v.beneficiaries)}</figure>
<table id="shared-infra"><thead><tr><th>What</th><th>Value</th><th>Accounts</th></tr></thead><tbody>
${shared.map((s) => html`<tr><td>${s.kind}</td><td><code>${s.value}</code></td><td>${s.accounts.join(', ')}</td></tr>`)}</tbody></table>` : html`<p class="muted">These accounts share no IP prefix, ASN or device in their archived logins.</p>`}
<h2>Findings on ${v.symbol}</h2>
<table><thead><tr><th>Detected (UTC)</th><th>Kind</th><th>Severity</th><th>Accounts</th><th>Reasons</th></tr></thead><tbody>
${v.findings.map((f) => html`<tr><td>${utc(f.detectedAt)}</td><td><a href="${pathOf('/campaigns', f.findingId)}">${words(f.kind)}</a></td><td>${f.severity}</td><td>${f.accountIds.join(', ')}</td><td>${f.reasons.map((r) => html`<div>${r.detail || words(r.code)}</div>`)}</td></tr>`)}</tbody></table>`;
}
