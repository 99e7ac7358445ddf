/**
 * `/livez`, `/readyz` (and `/healthz`, the same as `/readyz`) and Prometheus `/metrics` for a running service, on 127.0.0.1 by default
 * (KANSHI_OPS_HOST, KANSHI_OPS_PORT). Metrics are computed on scrape; nothing here blocks the
 * pipeline.
 */
import http from 'node:http';

export interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: { labels?: Record<string, string | number>; value: number }[];
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

function escapeLabel(v: string | number): string {
  return String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The Prometheus text exposition format (version 0.0.4). */
export function prometheusText(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = s.labels && Object.keys(s.labels).length
        ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`
        : '';
      lines.push(`${m.name}${labels} ${Number.isFinite(s.value) ? s.value : 0}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

type Health = () => { ok: boolean; detail: Record<string, unknown> };

/**
 * `health` is readiness: is the service doing its work (`/readyz`, and `/healthz` for what
 * already polls that). `live` is liveness: is the process answering at all (default: yes).
 */
export async function startOpsServer(
  opts: { host?: string; port: number },
  metrics: () => Promise<Metric[]>,
  health: Health,
  live: Health = () => ({ ok: true, detail: { pid: process.pid } }),
): Promise<OpsServer> {
  const answer = (res: http.ServerResponse, h: ReturnType<Health>) =>
    res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: h.ok, ...h.detail }));
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz' || req.url === '/readyz') {
      answer(res, health());
    } else if (req.url === '/livez') {
      answer(res, live());
    } else if (req.url === '/metrics') {
      metrics().then(
        (m) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(prometheusText(m)),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(e as Error).message}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /livez, /readyz or /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return { port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Events per second over the last minute, from a running counter sampled on scrape. */
export class RateGauge {
  private samples: { at: number; count: number }[] = [];

  rate(count: number, now = Date.now()): number {
    this.samples.push({ at: now, count });
    this.samples = this.samples.filter((s) => now - s.at <= 60_000);
    const first = this.samples[0];
    return now > first.at ? ((count - first.count) * 1000) / (now - first.at) : 0;
  }
}
