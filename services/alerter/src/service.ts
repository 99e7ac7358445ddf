/**
 * The alerter service: findings in; alerts (topic and webhooks), hold commands, and the record
 * of everything (findings, alerts, holds, audit) in ClickHouse. Topics, then ClickHouse, then
 * the offsets: a restart repeats at most a batch, with the same deterministic ids.
 */
import { topicNames, untilDone, type Bus, type Delivery, type TopicNames } from '@kanshi/bus';
import type { Alert, Finding, Hold } from '@kanshi/contract';
import { deterministicId, DEFAULT_HOLD_POLICY, type HoldPolicyConfig } from '@kanshi/detection';
import type { AuditEntry, Store } from '@kanshi/store';
import { AlertDesk } from './desk.js';
import { readFinding, type FindingDeadLetter } from './intake.js';
import { WebhookSender, type Webhook, type WebhookPolicy } from './webhooks.js';

export interface AlerterLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface AlerterOptions {
  bus: Bus;
  store: Store | null;
  log: AlerterLog;
  topics?: TopicNames;
  groupId?: string;
  holdPolicy?: Partial<HoldPolicyConfig>;
  webhooks?: Webhook[];
  /** checked with the URLs when the alerter starts */
  webhookPolicy?: WebhookPolicy;
  /** epoch ms now, for the hold breaker's wall-clock window; default Date.now */
  clock?: () => number;
}

export interface RunningAlerter {
  readonly ready: Promise<void>;
  stats(): { findings: number; rejected: number; alerts: number; holds: number; breakerOpen: boolean; webhooksDelivered: number; webhooksFailed: number; findingsByKind: Record<string, number> };
  stop(): Promise<void>;
}

export async function startAlerter(o: AlerterOptions): Promise<RunningAlerter> {
  const t = o.topics ?? topicNames();
  const policy = { ...DEFAULT_HOLD_POLICY, ...o.holdPolicy };
  const clock = o.clock ?? Date.now;
  const desk = new AlertDesk(policy, { wallClock: clock });
  // Offsets are committed only after ClickHouse has a batch, so ClickHouse knows at least what
  // the group has passed: the desk starts from it, or an account held before a restart could be
  // held again by its next finding, and the breaker would forget its window.
  if (o.store) {
    const store = o.store;
    const before = await untilDone('read decisions so far', () => store.decisionsSoFar(policy.maxHoldsPerWindow), { log: o.log });
    desk.restore(before);
    o.log.info({ findings: before.revisions.size, heldAccounts: before.heldAt.size }, 'alerter: decisions so far restored from ClickHouse');
  } else {
    o.log.warn({}, 'no ClickHouse: a restart forgets which accounts were held and may hold them again');
  }
  const hooks = new WebhookSender(o.webhooks ?? [], o.log, o.webhookPolicy);
  let findings = 0, rejected = 0, alerts = 0, holds = 0;
  let stopping = false;
  const retrying = (what: string, step: () => Promise<void>) => untilDone(what, step, { log: o.log, abandon: () => stopping });
  const byKind: Record<string, number> = {};

  const onFindings = async (batch: Delivery<Finding>[]) => {
    const fs: Finding[] = [], as: Alert[] = [], hs: Hold[] = [], audit: AuditEntry[] = [], breakers: Finding[] = [], dead: FindingDeadLetter[] = [];
    const at = clock();
    for (const d of batch) {
      const read = readFinding(d, at);
      if (read.kind === 'rejected') dead.push(read.rejection);
      if (read.kind !== 'finding') continue;
      const f = read.finding;
      const dec = desk.decide(f);
      if (!dec.news) continue;
      fs.push(f);
      byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
      if (dec.alert) {
        as.push(dec.alert);
        audit.push(entry('alert.published', dec.alert.alertId, dec.alert.at, dec.alert.summary, desk.policyVersion));
      }
      if (dec.holdRefused) audit.push(entry('hold.refused', f.findingId, f.detectedAt, dec.holdRefused, desk.policyVersion));
      for (const h of dec.holds) {
        hs.push(h);
        audit.push(entry(`hold.${h.mode}`, h.holdId, h.at, `${h.accountId}: ${h.reason}`, desk.policyVersion));
      }
      if (dec.breaker) {
        breakers.push(dec.breaker);
        audit.push(entry('hold.circuit_breaker_open', dec.breaker.findingId, dec.breaker.detectedAt, dec.breaker.reasons[0]?.detail ?? '', desk.policyVersion));
      }
    }
    // Published before recorded: a restart remembers what ClickHouse holds, so a batch that
    // died between the two is published again (same ids) rather than recorded and never sent.
    // The desk has decided: from here an outage is waited out, never decided again.
    // Enforced holds and dry runs never share a topic: the order system reads account-holds only,
    // and nothing on it is a rehearsal.
    const enforced = hs.filter((h) => h.mode === 'enforce'), rehearsed = hs.filter((h) => h.mode !== 'enforce');
    await retrying('publish holds', () => o.bus.publish<Hold>(t.accountHolds, enforced.map((h) => ({ key: h.accountId, value: h }))));
    await retrying('publish dry-run holds', () => o.bus.publish<Hold>(t.accountHoldsDryRun, rehearsed.map((h) => ({ key: h.accountId, value: h }))));
    await retrying('publish alerts', () => o.bus.publish<Alert>(t.alerts, as.map((a) => ({ key: a.findingId, value: a }))));
    // the breaker's own finding goes round again and becomes a critical alert
    await retrying('publish breaker findings', () => o.bus.publish<Finding>(t.findings, breakers.map((f) => ({ key: f.findingId, value: f }))));
    await retrying('publish dead letters', () => o.bus.publish<FindingDeadLetter>(t.deadLetter, dead.map((r) => ({ key: r.source, value: r }))));
    const store = o.store;
    if (store) {
      // Findings last: a restart takes a finding revision in ClickHouse as decided, so a batch
      // that died after its findings but before its alerts would never record those alerts.
      await retrying('record rejections', () => store.writeRejections(dead, at));
      await retrying('record alerts', () => store.writeAlerts(as));
      await retrying('record holds', () => store.writeHolds(hs));
      await retrying('record audit', () => store.audit(audit));
      await retrying('record findings', () => store.writeFindings(fs));
    }
    for (const a of as) hooks.send(a);
    if (dead.length) o.log.warn({ rejected: dead.length, first: dead[0].reason, field: dead[0].field, source: dead[0].source }, 'alerter: findings refused, dead-lettered');
    findings += fs.length;
    rejected += dead.length;
    alerts += as.length;
    holds += hs.length;
  };

  const sub = await o.bus.subscribe<Finding>(t.findings, { groupId: o.groupId ?? 'kanshi-alerter', fromBeginning: true }, onFindings);
  o.log.info({ topic: t.findings, policy: desk.policyVersion, webhooks: (o.webhooks ?? []).length }, 'alerter subscribed');
  return {
    ready: sub.ready,
    stats: () => ({ findings, rejected, alerts, holds, breakerOpen: desk.breakerOpen, webhooksDelivered: hooks.delivered, webhooksFailed: hooks.failed, findingsByKind: { ...byKind } }),
    async stop() {
      stopping = true;
      await sub.stop();
      await hooks.drain();
    },
  };
}

function entry(action: string, subject: string, at: number, detail: string, policyVersion: string): AuditEntry {
  return { auditId: deterministicId('audit', action, subject), at, actor: 'alerter', action, subject, detail: detail.slice(0, 2000), policyVersion };
}
