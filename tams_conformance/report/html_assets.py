"""The style sheet and the script of report.html, inlined into the page (it loads nothing).

The script is plain ES5 so it runs in any browser from a file:// URL: it filters the checks by
outcome, level, area, target and text, keeps the filter in the URL fragment
(`#outcome=failed,error&area=deletion`) so a view can be linked, and marks the page
`data-ready` once it has run (the browser test reads that).
"""

CSS = """
:root{--failed:#c62828;--error:#6a1b9a;--xpassed:#ad1457;--warning:#e65100;--passed:#2e7d32;
--skipped:#757575;--xfailed:#00838f;--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}[hidden]{display:none!important}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328}
main{max-width:1200px;margin:0 auto;padding:20px 24px 60px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:26px 0 8px}
h3{font-size:15px;margin:14px 0 6px}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;word-break:break-all;background:var(--soft);border:1px solid var(--line);
border-radius:4px;padding:8px;margin:6px 0;max-height:480px;overflow:auto}
table{border-collapse:collapse}th,td{border:1px solid var(--line);padding:2px 7px;text-align:left;
vertical-align:top}th{background:var(--soft);font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums;min-width:3em}td.z{color:#b0b7bf}
tr.total td{font-weight:700;background:var(--soft)}
.verdict{display:inline-block;padding:6px 12px;border-radius:4px;color:#fff;font-weight:700;
font-size:16px;margin:6px 0}
.meta{display:grid;grid-template-columns:repeat(3,max-content minmax(9em,max-content));
gap:2px 14px;margin:8px 0}.meta dt{color:#59636e}.meta dd{margin:0 18px 0 0}
.badge{display:inline-block;min-width:5.2em;text-align:center;border-radius:3px;color:#fff;
font-size:12px;font-weight:700;padding:1px 6px}
.lvl{display:inline-block;border:1px solid #8c959f;border-radius:3px;font-size:11px;padding:0 4px}
.o-failed{background:var(--failed)}.o-error{background:var(--error)}
.o-xpassed{background:var(--xpassed)}.o-warning{background:var(--warning)}
.o-passed{background:var(--passed)}.o-skipped{background:var(--skipped)}
.o-xfailed{background:var(--xfailed)}
td.c-failed,td.c-error,td.c-xpassed{background:#ffebe9;color:var(--failed);font-weight:700}
td.c-warning{background:#fff1e5;color:var(--warning);font-weight:700}
.summaries{display:flex;flex-wrap:wrap;gap:10px 32px;align-items:flex-start}
.cleanup{border-left:4px solid var(--warning);background:#fff8f2;padding:6px 12px}
#filters{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);
padding:8px 0;z-index:1;display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center}
#filters fieldset{border:0;margin:0;padding:0}#filters legend{float:left;font-weight:600;
margin-right:6px}#filters label{margin-right:8px;white-space:nowrap}
article.check{border:1px solid var(--line);border-left-width:5px;border-radius:4px;
padding:6px 10px;margin:8px 0}
article.check header{display:flex;flex-wrap:wrap;gap:4px 10px;align-items:baseline}
article.check .msg{margin:6px 0 2px;font-weight:600;white-space:pre-wrap}
article.check .spec{margin:2px 0;color:#59636e}
.b-failed{border-left-color:var(--failed)}.b-error{border-left-color:var(--error)}
.b-xpassed{border-left-color:var(--xpassed)}.b-warning{border-left-color:var(--warning)}
.where{color:#59636e}summary{cursor:pointer;color:#0969da}
table.rest td.m{color:#59636e;max-width:520px}
"""

JS = """
(function () {
  var form = document.getElementById('filters');
  var checks = [].slice.call(document.querySelectorAll('.check'));
  var dims = ['outcome', 'level', 'area', 'target'];
  function inputs(dim) { return [].slice.call(form.querySelectorAll('input[name="' + dim + '"]')); }
  function text(el) {
    var parts = [].slice.call(el.querySelectorAll('.cid,.msg')).map(function (e) {
      return e.textContent; });
    return parts.join(' ').toLowerCase();
  }
  var texts = checks.map(text);
  function readHash() {
    var state = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) state[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1));
    });
    dims.forEach(function (dim) {
      if (state[dim] === undefined) return;
      var wanted = state[dim].split(',');
      inputs(dim).forEach(function (i) { i.checked = wanted.indexOf(i.value) >= 0; });
    });
    form.q.value = state.q || '';
  }
  function writeHash() {
    var parts = [];
    dims.forEach(function (dim) {
      var all = inputs(dim), on = all.filter(function (i) { return i.checked; });
      if (on.length < all.length) parts.push(dim + '=' + on.map(function (i) {
        return encodeURIComponent(i.value); }).join(','));
    });
    if (form.q.value) parts.push('q=' + encodeURIComponent(form.q.value));
    var hash = parts.length ? '#' + parts.join('&') : '';
    try { history.replaceState(null, '', hash || location.pathname + location.search); }
    catch (e) { location.replace(hash || '#'); }
  }
  function apply() {
    var sel = {};
    dims.forEach(function (dim) {
      var all = inputs(dim);
      if (!all.length) return;
      sel[dim] = {};
      all.forEach(function (i) { if (i.checked) sel[dim][i.value] = true; });
    });
    var q = form.q.value.toLowerCase(), shown = 0;
    checks.forEach(function (el, n) {
      var ok = Object.keys(sel).every(function (dim) { return sel[dim][el.dataset[dim]]; });
      ok = ok && (!q || texts[n].indexOf(q) >= 0);
      el.hidden = !ok;
      if (ok) shown += 1;
    });
    [].forEach.call(document.querySelectorAll('section.group'), function (g) {
      var n = g.querySelectorAll('.check:not([hidden])').length;
      g.querySelector('.count').textContent = n;
      g.hidden = n === 0;
    });
    var out = document.getElementById('shown');
    out.textContent = shown;
    out.setAttribute('data-shown', shown);
  }
  form.addEventListener('change', function () { apply(); writeHash(); });
  form.addEventListener('input', function () { apply(); writeHash(); });
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  [].forEach.call(form.querySelectorAll('button[data-preset]'), function (b) {
    b.addEventListener('click', function () {
      var only = b.getAttribute('data-preset').split(',');
      inputs('outcome').forEach(function (i) {
        i.checked = only[0] === '*' || only.indexOf(i.value) >= 0; });
      apply(); writeHash();
    });
  });
  window.addEventListener('hashchange', function () { readHash(); apply(); });
  // a transcript ends with the call that failed: show its end first, the lead-up above it
  [].forEach.call(document.querySelectorAll('details.transcript'), function (d) {
    function bottom() { var pre = d.querySelector('pre'); pre.scrollTop = pre.scrollHeight; }
    d.addEventListener('toggle', function () { if (d.open) bottom(); });
    if (d.open) bottom();
  });
  form.hidden = false;
  readHash();
  apply();
  document.documentElement.setAttribute('data-ready', 'true');
})();
"""
