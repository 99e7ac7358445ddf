import type { OrderEvent } from '@kanshi/contract';
import type { DetectionConfig } from './config.js';
import { describeEntry, LISTED_BLOCK_CODES, type ListBook } from './list-book.js';
import { channelCode, type SessionRecord } from './profile.js';
import { signal, type Signal } from './scoring.js';

/** One way an order shows its session in other hands than its login's. */
export interface SessionMisuse {
  signal: Signal;
  /** access no good customer produces (see hold-corroboration.ts), not only unlike the account */
  contradicts: boolean;
  /** the session's device was block-listed: the takeover is judged at once */
  listed: boolean;
}

/**
 * What an order placed in a known session says of who holds that session: a session token used
 * where its login did not happen leaves no login event of its own for the login assessment.
 */
export function sessionMisuse(session: SessionRecord, ev: OrderEvent, lists: ListBook, cfg: DetectionConfig): SessionMisuse[] {
  const w = cfg.weights.login;
  const found: SessionMisuse[] = [];
  if (session.channel !== 0 && ev.channel && channelCode(ev.channel) !== session.channel) {
    found.push({ contradicts: true, listed: false, signal: signal('session_channel_switch', w.sessionChannelSwitch,
      `An order came through the ${ev.channel} channel in session ${ev.sessionId}, which was logged in through another channel: a session token taken from the client it was issued to.`) });
  }
  // a session whose login device was block-listed since: its next order is the listed actor's.
  // The session keeps a 32-bit hash of its device: with N devices listed, an unrelated session
  // matches by chance with odds N / 2^32 (1 in 8.6 million for 500), and the signal alone holds nobody
  const listed = lists.blockedSessionDevice(session.device, ev.ts);
  if (listed) {
    found.push({ contradicts: true, listed: true, signal: signal(LISTED_BLOCK_CODES.device, w.listedBlockDevice,
      `An order in session ${ev.sessionId}, logged in from a device on the block list, ${describeEntry(listed)}.`) });
  }
  // a session nothing used for a night or more (idleSessionMs), trading with no login or resume of
  // its own: its token was kept and replayed (an infostealer's cookie); an owner back at an open tab
  // after a night finds a brokerage session expired, or resumes it. Not contradicting access alone:
  // a tab left open over a weekend exists. An API key is
  // long-lived by design: a trading program holds one for weeks
  if (session.channel !== channelCode('api') && ev.ts - session.at >= cfg.idleSessionMs) {
    found.push({ contradicts: false, listed: false, signal: signal('idle_session_reuse', w.idleSessionReuse,
      `An order in session ${ev.sessionId} ${idleFor(ev.ts - session.at)} after anything last used it, with no login or resume of its own: a stored session token used again.`) });
  }
  return found;
}

/** An idle spell as a person says it: hours under two days, days beyond. */
function idleFor(ms: number): string {
  return ms < 48 * 3600_000 ? `${Math.round(ms / 3600_000)} h` : `${(ms / 86_400_000).toFixed(1)} days`;
}
