import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, html, Html, layout, pathOf, query } from './html.js';

const NASTY = `"><script>alert('x')</script><img src=x onerror=alert(1)>\`&`;

test('every value put in a template is escaped; only Html made by the tag passes as markup', () => {
  const out = html`<p title="${NASTY}">${NASTY}${[NASTY, html`<b>${NASTY}</b>`]}${null}${false}${undefined}${0}</p>`.text;
  assert.ok(!out.includes('<script'), out);
  assert.ok(!out.includes('<img'), out);
  assert.equal((out.match(/"/g) ?? []).length, 2, 'no quote but the attribute\'s own two');
  assert.ok(out.includes('<b>&quot;&gt;&lt;script&gt;'), 'nested Html is kept, its values escaped');
  assert.ok(out.endsWith('0</p>'), 'null, false, undefined are empty; 0 is 0');
  assert.equal(escapeHtml(`&<>"'\``), '&amp;&lt;&gt;&quot;&#39;&#96;');
});

test('ids in paths stay one segment; query strings are encoded', () => {
  assert.equal(pathOf('/alerts', '../a/b?c#d'), '/alerts/..%2Fa%2Fb%3Fc%23d');
  assert.equal(query({ kind: `a&b=c"`, offset: 0, none: undefined, empty: '' }), '?kind=a%26b%3Dc%22&offset=0');
});

test('the layout escapes the title and the viewer, and carries the CSRF token only as an attribute value', () => {
  const page = layout(NASTY, { name: NASTY, role: 'analyst', csrf: 'tok"en' }, new Html('<p>body</p>')).text;
  assert.ok(!page.includes('<script'));
  assert.ok(page.includes('value="tok&quot;en"'));
  assert.ok(page.includes('<p>body</p>'));
});
