/**
 * One-line progress on stderr for work longer than a few seconds; silent when stderr is not
 * a terminal (CI logs) except for a line every `quietEveryMs`.
 */
export class Progress {
  private last = 0;
  private readonly start = Date.now();
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string, private readonly quietEveryMs = 10_000) {}

  update(done: number, total?: number, unit = ''): void {
    const now = Date.now();
    if (now - this.last < (this.tty ? 200 : this.quietEveryMs)) return;
    this.last = now;
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? Math.round(done / secs) : 0;
    let text = `${this.label}: ${done.toLocaleString('en-US')}${unit}`;
    if (total && total > 0) {
      const f = Math.min(1, done / total);
      const bar = '█'.repeat(Math.round(f * 24)).padEnd(24, '░');
      text = `${this.label} ${bar} ${Math.round(f * 100)}% (${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}${unit})`;
    }
    text += ` ${rate.toLocaleString('en-US')}/s`;
    if (this.tty) process.stderr.write(`\r${text}\x1b[K`);
    else process.stderr.write(`${text}\n`);
  }

  done(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }
}
