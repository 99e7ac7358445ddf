/**
 * The desk's one script, served from the desk itself (/assets/live.js, allowed by the CSP as
 * 'self'; no inline script, no CDN): it opens the queue page's event stream and puts each new
 * alert at the top of the table, marked new, built with textContent only, so a value from the
 * event stream can never become markup. Without it (or without EventSource) the page is as
 * before and says that new alerts show on reload.
 */
export const LIVE_JS = `'use strict';
(function () {
  var body = document.querySelector('table.queue tbody');
  var note = document.getElementById('live');
  if (!body || !note || typeof EventSource === 'undefined') return;
  var words = function (s) { return String(s).replace(/_/g, ' '); };
  var utc = function (ms) { return new Date(ms).toISOString().replace('T', ' ').replace(/\\.\\d{3}Z$/, 'Z'); };
  var cell = function (tr, text) { var td = document.createElement('td'); td.textContent = text; tr.appendChild(td); return td; };
  var fresh = 0;
  var source = new EventSource('/events/alerts' + location.search);
  source.onopen = function () { note.textContent = 'Live: new alerts appear at the top as they arrive.'; };
  source.onerror = function () { note.textContent = 'Live updates paused; the desk reconnects by itself, or reload.'; };
  source.addEventListener('alert', function (e) {
    var a = JSON.parse(e.data);
    var empty = body.querySelector('td[colspan]');
    if (empty) empty.parentNode.remove();
    var tr = document.createElement('tr');
    tr.className = 'new';
    var sev = document.createElement('span');
    sev.className = 'sev sev-' + (['critical', 'high', 'medium', 'low'].indexOf(a.severity) >= 0 ? a.severity : 'low');
    sev.textContent = a.severity;
    cell(tr, '').appendChild(sev);
    cell(tr, Number(a.score).toFixed(2));
    var link = document.createElement('a');
    link.href = '/alerts/' + encodeURIComponent(a.alertId);
    link.textContent = words(a.kind);
    cell(tr, '').appendChild(link);
    cell(tr, a.accountIds.join(', '));
    cell(tr, a.symbols.join(', '));
    cell(tr, utc(a.at));
    cell(tr, words(a.status));
    cell(tr, a.assignee || '');
    cell(tr, a.summary);
    body.insertBefore(tr, body.firstChild);
    fresh += 1;
    note.textContent = 'Live: ' + fresh + ' new alert' + (fresh === 1 ? '' : 's') + ' since this page opened (marked).';
  });
})();
`;
