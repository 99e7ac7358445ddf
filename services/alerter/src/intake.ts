/**
 * What the alerter reads off `findings`, checked before anything is decided: the bytes decoded
 * with the topic's own format (the serde refuses JSON and unknown schema ids there), then the
 * value checked against the contract. Anything else becomes a rejection for the dead-letter
 * topic, never a hold.
 */
import { deadLetterOf, fromAvro, type DeadLetter, type Delivery } from '@kanshi/bus';
import { RejectedEvent, truncateRaw, validateFinding, type Finding } from '@kanshi/contract';

/** A dead-lettered finding: the rejection, the topic it came from and when it was judged. */
export type FindingDeadLetter = DeadLetter;

export type Intake = { kind: 'finding'; finding: Finding } | { kind: 'rejected'; rejection: FindingDeadLetter } | { kind: 'tombstone' };

export function readFinding(d: Delivery<unknown>, at: number): Intake {
  if (d.value === null) return { kind: 'tombstone' };
  let checked: Finding | RejectedEvent;
  let raw = '';
  if (d.value instanceof RejectedEvent) checked = d.value;
  else {
    try {
      const plain = fromAvro(d.value);
      checked = plain instanceof RejectedEvent ? plain : validateFinding(plain);
      if (checked instanceof RejectedEvent && checked !== plain) raw = rawText(plain);
    } catch (e) {
      checked = new RejectedEvent(`a finding that cannot be read: ${(e as Error).name}`, { code: 'unreadable' });
    }
  }
  if (!(checked instanceof RejectedEvent)) return { kind: 'finding', finding: checked };
  return {
    kind: 'rejected',
    rejection: { ...deadLetterOf(d, checked, at), raw: truncateRaw(raw) },
  };
}

function rawText(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}
