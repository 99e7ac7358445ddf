/**
 * A hold's change as the order system reads it: a Hold record (schema version 2) with the same
 * holdId, its new state and who changed it, on the topic the hold came on (an enforced hold's on
 * `account-holds`, which the order system acts on; a dry-run hold's on `account-holds-dry-run`,
 * which it never reads). A reader written against version 1 sees the same holdId again, a
 * duplicate of a hold it already has, never a new hold.
 */
import type { Hold, HoldState } from '@kanshi/contract';
import type { Bus } from '@kanshi/bus';
import type { DeskHold, HoldActionKind } from '@kanshi/store';

/** Where hold changes go besides ClickHouse: Kafka in server mode, nowhere in embedded mode. */
export interface HoldRecords {
  /** said on the holds page */
  readonly where: string;
  /** the topic the record went to, what the change's audit entry names; null: published nowhere */
  publish(record: Hold): Promise<string | null>;
}

const STATE_OF: Record<HoldActionKind, HoldState> = { confirmed: 'confirmed', release_requested: 'release_pending', released: 'released' };

/**
 * The record of one step on a hold. An enforced release that takes effect on a supervisor's
 * approval names the requester as changedBy and the supervisor as approvedBy.
 */
export function holdChange(hold: DeskHold, step: { action: HoldActionKind; reason: string }, actor: string, changeId: string, at: number): Hold {
  const requester = step.action === 'released' ? hold.actions.filter((a) => a.action === 'release_requested').at(-1)?.actor : undefined;
  return {
    holdId: hold.holdId, accountId: hold.accountId, findingId: hold.findingId, at: hold.at, mode: hold.mode, reason: hold.reason,
    state: STATE_OF[step.action], changeId, changedAt: at, changedBy: requester ?? actor, changeReason: step.reason, approvedBy: requester ? actor : null,
  };
}

/** Hold changes on Kafka, keyed by account like the alerter's holds (one account, one partition, in order). */
export function busHoldRecords(bus: Pick<Bus, 'publish'>, topics: { accountHolds: string; accountHoldsDryRun: string }): HoldRecords {
  return {
    where: `on Kafka, ${topics.accountHolds} (dry-run holds: ${topics.accountHoldsDryRun})`,
    publish: async (r) => {
      const topic = r.mode === 'enforce' ? topics.accountHolds : topics.accountHoldsDryRun;
      await bus.publish<Hold>(topic, [{ key: r.accountId, value: r }]);
      return topic;
    },
  };
}

/** Embedded mode: no Kafka, the change is a ClickHouse row only. */
export const NO_HOLD_RECORDS: HoldRecords = {
  where: 'none, embedded mode has no Kafka: the change stays in ClickHouse (hold_actions) and nothing reaches account-holds',
  publish: async () => null,
};
