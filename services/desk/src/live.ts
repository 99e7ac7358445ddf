/**
 * Server-sent events: new alerts reach open queue pages without a reload. One poller per desk
 * (started by the first listener, stopped with the last) asks the store for alert rows written
 * since its watermark every `pollMs`; each listener gets those that pass its page's filters.
 * The store is asked once per poll however many pages are open; a page holds one connection.
 */
import type http from 'node:http';
import type { DeskAlert, DeskStore } from '@kanshi/store';

export type LiveSource = Pick<DeskStore, 'newestAlertWrite' | 'alertsWrittenSince'>;

interface Listener {
  res: http.ServerResponse;
  /** whose stream it is (a session): one person's tabs must not use up the desk's streams */
  owner: string;
  wants: (a: DeskAlert) => boolean;
  /** false once the session behind the stream has ended: the stream ends too */
  alive: () => boolean;
}

/** Open streams at most: each is a socket, and a page that is left open keeps one. */
export const MAX_LISTENERS = 200;
/** Open streams of one session at most: a few tabs. */
export const MAX_PER_OWNER = 8;
/** Rewritten alerts within this many seconds of the watermark are recognised by id, not sent twice. */
const OVERLAP_S = 2;

export class LiveAlerts {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | null = null;
  private watermark: number | null = null;
  /** ids sent with their write second, kept for the overlap window */
  private sent = new Map<string, number>();
  private polling = false;

  constructor(private readonly source: LiveSource, private readonly log: { warn(o: object, m: string): void }, private readonly pollMs = 2_000) {}

  get size(): number {
    return this.listeners.size;
  }

  /** Starts an event stream on `res`; false (and nothing written) when the desk or the owner has too many. */
  open(res: http.ServerResponse, owner: string, wants: Listener['wants'], alive: Listener['alive'], headers: Record<string, string>): boolean {
    if (this.listeners.size >= MAX_LISTENERS || [...this.listeners].filter((l) => l.owner === owner).length >= MAX_PER_OWNER) return false;
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    // the retry hint: a browser reconnects after this long when the stream drops
    res.write('retry: 5000\n: live alerts\n\n');
    const l: Listener = { res, owner, wants, alive };
    this.listeners.add(l);
    res.on('close', () => this.drop(l));
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      void this.poll(); // the watermark now, so what is written from here on is news
    }
    return true;
  }

  close(): void {
    for (const l of this.listeners) l.res.end();
    this.listeners.clear();
    this.stop();
  }

  private drop(l: Listener): void {
    this.listeners.delete(l);
    if (this.listeners.size === 0) this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watermark = null;
    this.sent.clear();
  }

  /** One poll: new rows since the watermark, to each listener that wants them. Public for tests. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      if (this.watermark === null) {
        // a fresh start: what is there now is on the page already; only later writes are news
        this.watermark = await this.source.newestAlertWrite();
        for (const { alert, writtenAt } of await this.source.alertsWrittenSince(this.watermark - OVERLAP_S)) this.sent.set(alert.alertId, writtenAt);
        return;
      }
      const rows = await this.source.alertsWrittenSince(this.watermark - OVERLAP_S);
      for (const { alert, writtenAt } of rows) {
        this.watermark = Math.max(this.watermark, writtenAt);
        if (this.sent.has(alert.alertId)) continue;
        this.sent.set(alert.alertId, writtenAt);
        const data = `event: alert\ndata: ${JSON.stringify(alert)}\n\n`;
        for (const l of this.listeners) if (l.wants(alert)) l.res.write(data);
      }
      for (const [id, w] of this.sent) if (w < this.watermark - OVERLAP_S) this.sent.delete(id);
      for (const l of this.listeners) {
        if (l.alive()) l.res.write(': ping\n\n');
        else l.res.end();
      }
    } catch (e) {
      // the store may be away for a moment: the pages keep their stream, the next poll retries
      this.log.warn({ err: { name: (e as Error).name, message: (e as Error).message } }, 'live alerts: poll failed');
    } finally {
      this.polling = false;
    }
  }
}
