/**
 * HTML made on the server, inert by construction: the `html` tag escapes every value it is given
 * unless the value is itself `Html` made by the tag. Account ids, reasons, user agents and symbols
 * come from the event stream, i.e. from whoever can send an order or a login: none of them is ever
 * concatenated into markup.
 */
import { createHash } from 'node:crypto';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text for an element's content or a double-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

function part(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

/** A template whose every `${value}` is escaped (arrays joined, Html kept, null/false empty). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => { out += part(v) + strings[i + 1]; });
  return new Html(out);
}

/** A query string from fixed names and any values, for an href (escaped again by `html`). */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A path with one id in it: the id percent-encoded, so `/`, `?` and `#` stay inside the segment. */
export function pathOf(prefix: string, id: string, suffix = ''): string {
  return `${prefix}/${encodeURIComponent(id)}${suffix}`;
}

/** An epoch-ms instant as UTC text, to the second. */
export function utc(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z') : '—';
}

export const DESK_CSS = `
:root { --ink:#111; --muted:#444; --line:#bbb; --bg:#fff; --accent:#0b4f8a; --crit:#8b0000; --high:#9a4b00; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; color: var(--ink); background: var(--bg); margin: 0; }
header { background: #14213d; color: #fff; padding: .5rem 1rem; display: flex; gap: 1.2rem; align-items: center; flex-wrap: wrap; }
header a { color: #fff; } header .who { margin-left: auto; }
header form { display: inline; } header button { background: none; color: #fff; border: 1px solid #fff; }
main { padding: 1rem; max-width: 80rem; }
h1 { font-size: 1.3rem; margin: .2rem 0 .8rem; } h2 { font-size: 1.1rem; margin: 1.2rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f5; }
a { color: var(--accent); } a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #f9a825; outline-offset: 1px; }
.sev { font-weight: 600; padding: 0 .3rem; border: 1px solid; border-radius: 3px; }
.sev-critical { color: var(--crit); } .sev-high { color: var(--high); } .sev-medium, .sev-low { color: var(--muted); }
.counts a { margin-right: 1rem; } .muted { color: var(--muted); } .err { color: var(--crit); font-weight: 600; }
form.filters { display: flex; gap: .8rem; flex-wrap: wrap; align-items: end; margin-bottom: .8rem; }
label { display: block; font-weight: 600; } input, select, textarea, button { font: inherit; padding: .25rem .4rem; }
button { cursor: pointer; background: var(--accent); color: #fff; border: 0; border-radius: 3px; padding: .3rem .8rem; }
button.secondary { background: #fff; color: var(--accent); border: 1px solid var(--accent); }
.login { max-width: 22rem; margin: 3rem auto; } .login input { width: 100%; margin-bottom: .6rem; }
tr.evidence td { background: #fff4d6; } tr.evidence td:first-child { border-left: 4px solid var(--high); }
code { background: #f3f3f3; padding: 0 .2rem; word-break: break-all; }
tr.new td { background: #e3f0fb; } tr.new td:first-child { border-left: 4px solid var(--accent); }
figure.wide { margin: .5rem 0; overflow-x: auto; } .key { font-weight: 600; margin-right: 1rem; } .key-member { color: #b00020; } .key-beneficiary { color: #9a4b00; }
.case-forms form { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin: .5rem 0; } .case-forms p { margin: 0; }
`;

/** The CSP source of DESK_CSS: inline, yet no other inline style or script can run. */
export const DESK_CSS_HASH = `'sha256-${createHash('sha256').update(DESK_CSS).digest('base64')}'`;

export interface Viewer {
  name: string;
  role: string;
  csrf: string;
}

/** A whole page: the header with the sections the viewer may open, and `body`. */
export function layout(title: string, viewer: Viewer | null, body: Html, nav: { href: string; label: string }[] = []): Html {
  const header = viewer
    ? html`<header><strong>Kanshi desk</strong>${nav.map((n) => html`<a href="${n.href}">${n.label}</a>`)}
      <span class="who">${viewer.name} (${viewer.role})</span>
      <form method="post" action="/logout"><input type="hidden" name="_csrf" value="${viewer.csrf}"><button>Log out</button></form></header>`
    : html`<header><strong>Kanshi desk</strong></header>`;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title} · Kanshi desk</title><style>${new Html(DESK_CSS)}</style></head>
<body>${header}<main>${body}</main></body></html>`;
}

/** The hidden CSRF field every form that changes something carries. */
export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;
}
