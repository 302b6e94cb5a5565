// The layout viewer (bucketmap-replay --html): steps through one trace.
// The data (tools/viewer/viewer_page.h) holds, per step (the state after
// that many ops), only what changed: buckets as chains, the header, the
// iterators. The page keeps the state at the current step and an undo
// record per step taken, so stepping either way costs that step's change
// alone; the bucket grids draw only the rows in view.
'use strict';
(function () {
  const D = JSON.parse(document.getElementById('data').textContent);
  const N = D.steps.length, ROW = 22, SLOTS = 8;
  const $ = (id) => document.getElementById(id);
  const S = { n: [], o: [], h: null, it: [] };  // the state after `cur` steps
  const undo = [];                                // undo[k]: what step k + 1 replaced
  let cur = 0;
  const cmpAt = new Map();  // step -> [step, same, Go's layout]
  if (D.go) for (const c of D.go.cmp) cmpAt.set(c[0], c);
  const STATES = ['rest', 'one', 'evx', 'evy', 'eve'];
  const STATE_NAMES = ['emptyRest', 'emptyOne', 'evacuatedX', 'evacuatedY', 'evacuatedEmpty'];
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

  // --- the state: forward by one step, back by one step, or to any step.
  function apply(k) {
    const st = D.steps[k], u = [];
    for (const c of st.d) {
      const a = c[0];
      if (c.length === 2) {
        u.push([a, -1, S[a]]);
        S[a] = new Array(c[1]).fill(0);
      } else {
        u.push([a, c[1], S[a][c[1]]]);
        S[a][c[1]] = c[2];
      }
    }
    if (st.h) { u.push(['h', -1, S.h]); S.h = st.h; }
    if (st.it) { u.push(['it', -1, S.it]); S.it = st.it; }
    undo[k] = u;
  }
  function revert(k) {
    const u = undo[k];
    for (let j = u.length - 1; j >= 0; j--) {
      const [f, i, prev] = u[j];
      if (i < 0) S[f] = prev; else S[f][i] = prev;
    }
  }
  function goto(t) {
    t = Math.max(0, Math.min(N, Math.trunc(Number(t)) || 0));
    while (cur < t) apply(cur++);
    while (cur > t) revert(--cur);
    render();
  }

  // --- buckets and slots. A chain is 0 (one empty bucket) or
  // [[tophash hex, keys, values], ...].
  const chainOf = (c) => (c === 0 || c === undefined ? [['0000000000000000', [], []]] : c);
  const tophash = (b, s) => parseInt(b[0].substr(2 * s, 2), 16);
  const stateClass = (t) => 'th-' + (t < 5 ? STATES[t] : 'live');
  const sameSlot = (x, y, s) => x && y && x[0].substr(2 * s, 2) === y[0].substr(2 * s, 2) && (x[1][s] ?? null) === (y[1][s] ?? null);

  // The buckets (tag:index -> previous chain) the current step changed.
  function changed() {
    const m = new Map();
    if (cur === 0) return m;
    for (const [f, i, prev] of undo[cur - 1]) if (i >= 0 && !m.has(f + ':' + i)) m.set(f + ':' + i, prev);
    return m;
  }

  // One virtualised grid of buckets: one row per bucket and its chain.
  function Grid(parent, title, tag, arrayOf, other) {
    const sec = document.createElement('div');
    sec.innerHTML = `<h2></h2><div class="grid" data-grid="${tag}"><div class="spacer"></div></div>`;
    parent.appendChild(sec);
    const head = sec.querySelector('h2'), grid = sec.querySelector('.grid'), spacer = grid.firstChild;
    let queued = false;
    grid.addEventListener('scroll', () => {
      if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; this.render(); }); }
    });
    this.show = (on) => { sec.style.display = on ? '' : 'none'; };
    this.reveal = (b) => { grid.scrollTop = Math.max(0, b * ROW - grid.clientHeight / 2); this.render(); };
    this.render = () => {
      const arr = arrayOf() || [];
      head.textContent = `${title(arr)}`;
      spacer.style.height = arr.length * ROW + 'px';
      grid.classList.toggle('short', arr.length * ROW < 400);
      const top = Math.floor(grid.scrollTop / ROW), end = Math.min(arr.length, top + Math.ceil((grid.clientHeight || 600) / ROW) + 2);
      const ch = changed(), marks = iterMarks(tag), cmp = other ? other() : null;
      let html = '';
      for (let i = top; i < end; i++) html += row(i, chainOf(arr[i]), ch, marks, cmp && chainOf(cmp[i]));
      for (const r of grid.querySelectorAll('.row')) r.remove();
      spacer.insertAdjacentHTML('afterend', html);
    };
    const row = (i, chain, ch, marks, theirs) => {
      const key = tag + ':' + i, was = ch.has(key) ? chainOf(ch.get(key)) : null;
      let h = `<div class="row${was ? ' changed' : ''}" style="top:${i * ROW}px" data-bucket="${i}"><span class="idx">${i}</span>`;
      chain.forEach((b, c) => {
        if (c > 0) h += '<span class="link" title="overflow">&rarr;</span>';
        h += '<span class="bucket">';
        for (let s = 0; s < SLOTS; s++) h += slot(i, c, s, b, was, marks, theirs);
        h += '</span>';
      });
      const tags = marks.filter((m) => m.b === i).map((m) => m.n);
      return h + (tags.length ? `<span class="itag">&larr; ${esc(tags.join(', '))}</span>` : '') + '</div>';
    };
    const slot = (i, c, s, b, was, marks, theirs) => {
      const t = tophash(b, s), cls = ['slot', stateClass(t)];
      if (was && !sameSlot(b, was[c], s)) cls.push('chg');
      if (theirs && !sameSlot(b, theirs[c], s)) cls.push('diff');
      const here = marks.filter((m) => m.b === i && m.c === c && m.s === s);
      if (here.length) cls.push('it-here');
      let tip = `bucket ${i}${c ? ' (overflow ' + c + ')' : ''}, slot ${s}: tophash 0x${b[0].substr(2 * s, 2)} (${t < 5 ? STATE_NAMES[t] : 'live'})`;
      if (t >= 5) tip += `\nkey ${b[1][s]}` + (b[2][s] != null ? `\nvalue ${b[2][s]}` : '');
      if (here.length) tip += `\niterator ${here.map((m) => m.n).join(', ')} stands here`;
      return `<span class="${cls.join(' ')}" data-slot="${tag}:${i}:${c}:${s}" title="${esc(tip)}">${b[0].substr(2 * s, 2)}</span>`;
    };
  }
  // The iterators standing in array `tag` ('n' current, 'o' old).
  function iterMarks(tag) {
    const a = { n: 'new', o: 'old' }[tag];
    return S.it.filter((it) => it.w && it.a === a && S.h && it.m === S.h[8]).map((it) => ({ n: it.n, b: it.b, c: it.c, s: it.s }));
  }

  // --- the panels.
  const FLAGS = [[1, 'iterator'], [2, 'oldIterator'], [4, 'hashWriting'], [8, 'sameSizeGrow']];
  function headerRows(h, go) {
    if (!h) return '<tr><td class="note">no map yet</td></tr>';
    const flags = FLAGS.filter(([bit]) => h[2] & bit).map(([, n]) => n).join(' ') || '0';
    const rows = [
      ['count', h[0], go && go[0]], ['B', `${h[1]} (${1 << h[1]} buckets)`, go && `${go[1]} (${1 << go[1]} buckets)`],
      ['flags', flags, null], ['hash seed', h[7], null], ['noverflow', h[3], go && go[3]], ['nevacuate', h[4], go && go[4]],
      ['growing', h[5] ? 'yes' : 'no', go && (go[5] ? 'yes' : 'no')],
      ['growth', h[5] ? (h[6] ? 'same-size' : 'doubling') : '-', go && (go[5] ? (go[6] ? 'same-size' : 'doubling') : '-')],
    ];
    // The map drawn is the current one (the ops act on it); the others, summed up.
    if (h[8] || h[9]) rows.unshift(['map', `m${h[8]}` + (h[9] ? ` (others: ${h[9]})` : ''), null]);
    let html = go ? '<tr><th></th><th>ours</th><th>Go</th></tr>' : '';
    for (const [name, v, g] of rows) {
      const id = 'h-' + name.replace(/ /g, '-');
      html += `<tr${go && g != null && String(g) !== String(v) ? ' class="mismatch"' : ''}><th>${name}</th><td id="${id}">${esc(v)}</td>` +
        (go ? `<td>${g == null ? '' : esc(g)}</td>` : '') + '</tr>';
    }
    return html;
  }
  // The op's results; each was checked against the model, and at the
  // failing step what the check saw is stated below them.
  function resultRows(st) {
    const failedHere = D.verdict.outcome === 'failed' && cur === D.verdict.step;
    let html = !st || !st.out ? '<tr><td class="note">this op gives no result</td></tr>' : '';
    for (const o of (st && st.out) || []) html += `<tr><td>${esc(o)}</td></tr>`;
    if (failedHere) html += `<tr class="mismatch"><td id="failed-here">check failed here: ${esc(D.verdict.check)}: ${esc(D.verdict.detail)}</td></tr>`;
    return html;
  }
  function iterRows() {
    if (!S.it.length) return '<p class="note">no iterator is open</p>';
    let html = '<table><tr><th>it</th><th>start</th><th>off</th><th>at</th><th>wrapped</th><th>yielded</th></tr>';
    for (const it of S.it) {
      const ys = it.id >= 0 ? D.iters[it.id].y.slice(0, it.y) : [];
      const where = it.m !== S.h[8] ? `on m${it.m} (not drawn): ` : '';
      const at = where + (it.id < 0 ? 'declared (starts at its first next)' : it.w ? `${it.a} bucket ${it.b}${it.c ? ' overflow ' + it.c : ''} slot ${it.s}` : 'at its end');
      html += `<tr data-iter="${esc(it.n)}"><td>${esc(it.n)}</td><td class="it-start">${it.st ?? ''}</td><td class="it-off">${it.off ?? ''}</td>` +
        `<td class="it-pos">${esc(at)}</td><td class="it-wrapped">${it.w ? (it.wr ? 'yes' : 'no') : ''}</td><td class="it-yielded">${ys.length}</td></tr>` +
        `<tr><td colspan="6"><div class="yields">${esc(ys.slice(-500).map((y) => y[0] + '=' + y[1]).join(' '))}</div></td></tr>`;
    }
    return html + '</table>';
  }
  function compareNote() {
    if (!D.go) return '';
    const c = cmpAt.get(cur), diffs = D.go.cmp.filter((x) => !x[1]).length;
    let html = `<h2>Compared with Go</h2><p>${D.go.cmp.length} dumps compared with the recorded output's ${D.go.dumps}: ${diffs ? diffs + ' differ' : 'all agree'}.</p>`;
    if (c) html += c[1] ? '<p id="cmp-here">this step\'s dump: the same as Go\'s</p>' : `<p id="cmp-here" class="mismatch">this step's dump differs from Go's (${c[2] ? 'Go\'s layout below ours' : 'Go\'s output has no dump here'})</p>`;
    return html;
  }

  // --- the page.
  const grids = [];
  const goLayout = () => { const c = cmpAt.get(cur); return c && !c[1] ? c[2] : null; };
  function render() {
    $('slider').value = cur;
    $('stepnum').value = cur;
    $('stepof').textContent = `of ${N}` + (N < D.total ? ` (the trace has ${D.total} ops; the run stopped at op ${N})` : '');
    const st = cur > 0 ? D.steps[cur - 1] : null;
    $('op').innerHTML = cur > 0 ? `op ${cur}: <span class="opline">${esc(D.ops[cur - 1])}</span>` : '<span class="note">before the first op</span>';
    const g = goLayout();
    $('hmap').innerHTML = headerRows(S.h, g && g.h);
    $('results').innerHTML = resultRows(st);
    $('iters').innerHTML = iterRows();
    $('compare').innerHTML = compareNote();
    grids[1].show(S.o.length > 0);
    grids[2].show(!!g);
    grids[3].show(!!g && g.o.length > 0);
    for (const gr of grids) gr.render();
    if (location.hash !== '#step=' + cur) history.replaceState(null, '', '#step=' + cur);
  }
  function showVerdict() {
    const v = D.verdict, el = $('verdict');
    el.className = v.outcome;
    const diffs = D.go ? D.go.cmp.filter((c) => !c[1]).length : 0;
    if (v.outcome === 'passed' && diffs) {
      el.className = 'failed';
      el.innerHTML = `<b>${diffs} of ${D.go.cmp.length} dumps differ from Go's</b> (every check of the map itself passed, ${N} ops)`;
    } else if (v.outcome === 'passed') el.textContent = `every check passed (${N} ops)`;
    else if (v.outcome === 'failed') el.innerHTML = `<b>check failed: ${esc(v.check)}</b> at step ${v.step}<br>${esc(v.detail)}`;
    else el.innerHTML = `<b>${v.outcome === 'refused' ? 'refused' : 'error'}</b> (${esc(v.check)}): ${esc(v.detail)}`;
  }
  function startStep() {
    const m = /step=(\d+)/.exec(location.hash);
    if (m) return Number(m[1]);
    if (D.verdict.outcome === 'failed') return D.verdict.step;
    const d = D.go && D.go.cmp.find((c) => !c[1]);
    return d ? d[0] : 0;
  }
  function init() {
    $('title').textContent = D.title;
    $('keys').textContent = `keys ${D.keys}, ${N} steps`;
    $('slider').max = N;
    $('stepnum').max = N;
    showVerdict();
    const arrays = $('arrays'), n = (a) => `${a.length} buckets`;
    grids.push(new Grid(arrays, (a) => `bucket array (${n(a)})`, 'n', () => S.n, () => goLayout() && goLayout().n));
    grids.push(new Grid(arrays, (a) => `old bucket array, while growing (${n(a)})`, 'o', () => S.o, () => goLayout() && goLayout().o));
    grids.push(new Grid(arrays, (a) => `Go's bucket array (${n(a)})`, 'gn', () => goLayout() && goLayout().n, () => S.n));
    grids.push(new Grid(arrays, (a) => `Go's old bucket array (${n(a)})`, 'go', () => goLayout() && goLayout().o, () => S.o));
    $('slider').addEventListener('input', (e) => goto(e.target.value));
    $('stepnum').addEventListener('change', (e) => goto(e.target.value));
    $('first').onclick = () => goto(0);
    $('prev').onclick = () => goto(cur - 1);
    $('next').onclick = () => goto(cur + 1);
    $('last').onclick = () => goto(N);
    document.addEventListener('keydown', (e) => {
      if (e.target.id === 'stepnum') return;
      const to = { ArrowLeft: cur - 1, ArrowRight: cur + 1, PageUp: cur - 100, PageDown: cur + 100, Home: 0, End: N }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      goto(to);
    });
    window.addEventListener('hashchange', () => { const m = /step=(\d+)/.exec(location.hash); if (m && Number(m[1]) !== cur) goto(m[1]); });
    goto(startStep());
  }
  init();
  // For scripts (the browser tests, the benchmark): step, and bring a bucket into view.
  window.viewer = {
    goto, steps: N, step: () => cur,
    reveal: (tag, b) => grids[{ n: 0, o: 1, gn: 2, go: 3 }[tag]].reveal(b),
  };
})();
