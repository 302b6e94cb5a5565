// The layout viewer in headless Chromium: pages that bucketmap-replay
// --html writes for known traces, stepped to chosen steps, checked against
// what the recorded Go output says was there (count, B, the colour class
// of slots, where an iterator stands), with any script error in a page a
// failure. Screenshots go to OUT.
//
//   node viewer_test.mjs --replay BIN --chromium PATH --traces DIR --out DIR --modules DIR --mutant BIN
// (--mutant: the replayer built with the planted bug of tests/traces/crashes/)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const args = Object.fromEntries(process.argv.slice(2).join(' ').split('--').filter(Boolean).map((a) => a.trim().split(/ (.*)/s)));
for (const k of ['replay', 'chromium', 'traces', 'out', 'modules', 'mutant']) {
  if (!args[k]) throw new Error(`viewer_test: --${k} is required`);
}
if (!fs.existsSync(args.chromium)) {
  console.error(`viewer_test: no Chromium at ${args.chromium} (scripts/setup installs it)`);
  process.exit(1);
}
const puppeteer = createRequire(path.resolve(args.modules, 'x.js'))('puppeteer-core');
fs.mkdirSync(args.out, { recursive: true });
let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

// --- what the recorded output says: the trace's ops, and per op its lines.
function readTrace(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#') && !/^(keys|hashing) /.test(l));
}
function outputByOp(ops, expected) {
  const lines = expected.split('\n'), out = [];
  let li = 0;
  for (const op of ops) {
    const word = op.split(' ')[0], mine = [];
    if (['get', 'len', 'next'].includes(word)) mine.push(lines[li++]);
    if (word === 'dump') while (li < lines.length) { mine.push(lines[li]); if (lines[li++] === 'end') break; }
    out.push(mine);
  }
  return out;
}
// A dump's header and its buckets: { B, count, growing, n: [[tophash...]], o: ... } (first bucket of each chain).
function parseDump(block) {
  const h = Object.fromEntries(block[0].split(' ').slice(1).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  const arr = { new: [], old: [] };
  for (const line of block.slice(1, -1)) {
    const [which, idx, ...rest] = line.replace(':', '').split(' ');
    const first = rest.join(' ').split(' -> ')[0].split(' | ');
    arr[which][Number(idx)] = { th: first[0].split(' ').map((x) => parseInt(x, 16)), keys: first[1].split(' ') };
  }
  return { ...h, n: arr.new, o: arr.old };
}
const CLASS = (t) => 'th-' + (t < 5 ? ['rest', 'one', 'evx', 'evy', 'eve'][t] : 'live');

// --- the browser.
const browser = await puppeteer.launch({
  executablePath: args.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  // Generous: on a loaded machine (a parallel ctest, a build beside it)
  // Chromium's start and a page's first script can take many seconds.
  timeout: 180000,
  protocolTimeout: 180000,
});
async function open(file, fragment = '') {
  const page = await browser.newPage();
  page.setDefaultTimeout(120000);
  await page.setViewport({ width: 1400, height: 900 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith('file:')) errors.push('network request: ' + r.url()); });
  await page.goto('file://' + path.resolve(file) + fragment);
  await page.waitForFunction(() => window.viewer !== undefined, { timeout: 120000 });
  return { page, errors };
}
const text = (page, sel) => page.$eval(sel, (e) => e.textContent);
async function slotClass(page, tag, b, c, s) {
  await page.evaluate((t, bb) => window.viewer.reveal(t, bb), tag, b);
  return page.$eval(`[data-slot="${tag}:${b}:${c}:${s}"]`, (e) => e.className).catch(() => '(not shown)');
}
function makePage(trace, out, extra = [], replay = args.replay) {
  execFileSync(replay, ['--html', out, ...extra, trace], { stdio: ['ignore', 'ignore', 'inherit'] });
}

// A step whose dump Go recorded: header and the first slot of each state.
async function checkDumpStep(page, name, step, dump) {
  await page.evaluate((s) => window.viewer.goto(s), step);
  check(await text(page, '#h-count') === String(dump.count), `${name} step ${step}: count ${dump.count}`);
  check((await text(page, '#h-B')).startsWith(`${dump.B} `), `${name} step ${step}: B ${dump.B}`);
  const picked = new Map();  // the first slot of each state in each array
  for (const [tag, arr] of [['n', dump.n], ['o', dump.o]]) {
    arr.forEach((bk, b) => bk.th.forEach((t, s) => {
      if (!picked.has(tag + CLASS(t))) picked.set(tag + CLASS(t), [tag, b, s, CLASS(t)]);
    }));
  }
  for (const [tag, b, s, cls] of picked.values()) {
    const got = await slotClass(page, tag, b, 0, s);
    check(got.split(' ').includes(cls), `${name} step ${step}: ${tag === 'n' ? 'new' : 'old'} bucket ${b} slot ${s} is ${cls} (${got})`);
  }
}

// A step right after `next IT` yielded key K: the iterator's row and the slot it marks.
async function checkIterStep(page, name, step, it, key, yielded) {
  await page.evaluate((s) => window.viewer.goto(s), step);
  const row = await page.$(`tr[data-iter="${it}"]`);
  check(row !== null, `${name} step ${step}: iterator ${it} is listed`);
  if (!row) return;
  check(await row.$eval('.it-yielded', (e) => e.textContent) === String(yielded), `${name} step ${step}: ${it} has yielded ${yielded}`);
  const pos = await row.$eval('.it-pos', (e) => e.textContent);
  const m = /^(new|old) bucket (\d+)(?: overflow (\d+))? slot (\d+)$/.exec(pos);
  check(m !== null, `${name} step ${step}: ${it} stands at a slot (${pos})`);
  if (!m) return;
  const tag = m[1] === 'new' ? 'n' : 'o';
  await page.evaluate((t, b) => window.viewer.reveal(t, b), tag, Number(m[2]));
  const title = await page.$eval(`[data-slot="${tag}:${m[2]}:${m[3] || 0}:${m[4]}"]`, (e) => `${e.className} ${e.title}`);
  check(title.includes('it-here') && title.includes(`\nkey ${key}\n`), `${name} step ${step}: the slot ${it} marks holds key ${key}`);
}

async function goTrace(name) {
  const trace = path.join(args.traces, 'go1.19', name + '.trace'), expected = trace.replace(/\.trace$/, '.expected');
  const html = path.join(args.out, name + '.html');
  makePage(trace, html, ['--expected', expected]);
  const ops = readTrace(trace), outs = outputByOp(ops, fs.readFileSync(expected, 'utf8'));
  const dumps = ops.map((op, i) => [i + 1, op]).filter(([, op]) => op === 'dump').map(([s]) => [s, parseDump(outs[s - 1])]);
  const { page, errors } = await open(html);
  const growing = dumps.find(([, d]) => d.growing === 1);
  const chosen = [dumps[0], growing || dumps[1], dumps[dumps.length - 1]];
  for (const [step, dump] of chosen) await checkDumpStep(page, name, step, dump);
  await page.evaluate((s) => window.viewer.goto(s), chosen[1][0]);
  await page.screenshot({ path: path.join(args.out, name + '-growing.png') });
  // The first yield of the last iterator started before the growing dump
  // (fresh, it stands in an array the map still has).
  let last = null;
  const started = {};
  ops.forEach((op, i) => {
    if (i + 1 > chosen[1][0]) return;
    const it = /^iter (\S+) /.exec(op), next = /^next (\S+)$/.exec(op);
    if (it) started[it[1]] = true;
    if (!next || !started[next[1]]) return;
    const parts = outs[i][0].split(' ');
    started[next[1]] = false;
    if (parts[2] !== 'end') last = [i + 1, next[1], parts[2], 1];
  });
  check(last !== null, `${name}: a next before step ${chosen[1][0]}`);
  if (last) await checkIterStep(page, name, ...last);
  await page.screenshot({ path: path.join(args.out, name + '-iterator.png') });
  check(/all agree/.test(await text(page, '#compare')), `${name}: every dump agrees with Go's`);
  check(errors.length === 0, `${name}: no script error (${errors.join('; ')})`);
}

// A recorded output that disagrees: the page opens at the first dump that
// differs, says so, and shows Go's layout with the differing slot marked.
async function disagreeing(name) {
  const trace = path.join(args.traces, 'go1.19', name + '.trace');
  const lines = fs.readFileSync(trace.replace(/\.trace$/, '.expected'), 'utf8').split('\n');
  const dumpAt = lines.map((l, i) => [l, i]).filter(([l]) => l.startsWith('dump ')).map(([, i]) => i);
  const at = dumpAt[2] + 1;  // the third dump's bucket 0: its first tophash byte changed to 0x01 (emptyOne)
  lines[at] = lines[at].replace(/^(new 0: )../, '$101');
  const expected = path.join(args.out, name + '-altered.expected'), html = path.join(args.out, name + '-altered.html');
  fs.writeFileSync(expected, lines.join('\n'));
  makePage(trace, html, ['--expected', expected]);
  const ops = readTrace(trace), thirdDump = ops.map((op, i) => [op, i + 1]).filter(([op]) => op === 'dump')[2][1];
  const { page, errors } = await open(html);
  check(await page.evaluate(() => window.viewer.step()) === thirdDump, `${name} altered: opens at step ${thirdDump}, the third dump`);
  check(/differs from Go/.test(await text(page, '#cmp-here')), `${name} altered: says this step's dump differs`);
  check(/1 of \d+ dumps differ from Go's/.test(await text(page, '#verdict')), `${name} altered: the banner says a dump differs`);
  const go = await slotClass(page, 'gn', 0, 0, 0);
  check(go.includes('th-one') && go.includes('diff'), `${name} altered: Go's bucket 0 slot 0 is emptyOne, marked as differing (${go})`);
  await page.screenshot({ path: path.join(args.out, name + '-altered.png') });
  check(errors.length === 0, `${name} altered: no script error (${errors.join('; ')})`);
}

// A real failing run: a trace a fuzz target found when the map had a
// planted bug (tests/traces/crashes/README.md), on the replayer built
// with that bug. The truth is that replayer's own --check report (the
// check, the op, the layout after it); the real replayer passes the trace.
async function crash(name) {
  const trace = path.join(args.traces, 'crashes', name + '.trace'), html = path.join(args.out, name + '.html');
  let report = '', status = 0;
  try {
    execFileSync(args.mutant, ['--check', '--brief', trace], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    status = e.status;
    report = String(e.stderr);
  }
  check(status === 3, `${name}: fails a check with the planted bug (exit ${status})`);
  let passes = true;
  try { execFileSync(args.replay, ['--check', trace], { stdio: 'ignore' }); } catch { passes = false; }
  check(passes, `${name}: passes every check without it`);
  const what = /^check failed: (.*)$/m.exec(report), at = /^at op (\d+) of \d+: /m.exec(report);
  const after = report.split('--- layout after the failing op ---\n')[1] || '';
  check(what !== null && at !== null && after.startsWith('dump '), `${name}: the report names the check, the op and the layout`);
  if (!what || !at || !after.startsWith('dump ')) return;
  const step = Number(at[1]), lines = after.split('\n');
  makePage(trace, html, [], args.mutant);
  const { page, errors } = await open(html);
  check(await page.evaluate(() => window.viewer.step()) === step, `${name}: opens at step ${step}, the failing op`);
  const banner = await text(page, '#verdict');
  check(banner.includes(`check failed: ${what[1]}`) && banner.includes(`at step ${step}`), `${name}: the banner states the failed check (${banner})`);
  check((await text(page, '#failed-here')).includes(what[1]), `${name}: the results say the check failed here`);
  await checkDumpStep(page, name, step, parseDump(lines.slice(0, lines.indexOf('end') + 1)));
  await page.screenshot({ path: path.join(args.out, name + '.png') });
  check(errors.length === 0, `${name}: no script error (${errors.join('; ')})`);
}

try {
  await goTrace('grow_iter_12');
  await disagreeing('churn_11');
  await crash('api-erase-if-no-overflow');
} finally {
  await browser.close();
}
console.log(failures ? `viewer_test: ${failures} check(s) failed` : 'viewer_test: every check passed');
console.log(`screenshots: ${args.out}/*.png`);
process.exit(failures ? 1 : 0);
