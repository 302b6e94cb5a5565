// Measures the layout viewer in headless Chromium: the time to load a page
// (navigation to the viewer ready, its first step drawn) and to take a step
// (goto and the next frame drawn): single steps forward and back, and jumps
// to random steps. Prints one JSON object. scripts/bench-viewer runs it.
//
//   node bench_viewer.mjs --page FILE --chromium PATH --modules DIR [--steps N] [--loads N]
import path from 'node:path';
import { createRequire } from 'node:module';

const argv = process.argv.slice(2), opt = {};
for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = argv[i + 1];
const puppeteer = createRequire(path.resolve(opt.modules, 'x.js'))('puppeteer-core');
const steps = Number(opt.steps || 300), loads = Number(opt.loads || 3);
const browser = await puppeteer.launch({
  executablePath: opt.chromium, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b), q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1] };
};
const errors = [], loadMs = [];
let page;
for (let i = 0; i < loads; i++) {
  if (page) await page.close();
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  page.on('pageerror', (e) => errors.push(String(e)));
  const t0 = Date.now();
  await page.goto('file://' + path.resolve(opt.page) + '#step=0', { timeout: 300000 });
  await page.waitForFunction(() => window.viewer !== undefined, { timeout: 300000 });
  await page.evaluate(() => new Promise(requestAnimationFrame));
  loadMs.push(Date.now() - t0);
}
// Each measure: goto(to), then the next frame.
const measure = (targets) => page.evaluate(async (ts) => {
  const out = [];
  for (const t of ts) {
    const t0 = performance.now();
    window.viewer.goto(t);
    await new Promise(requestAnimationFrame);
    out.push(performance.now() - t0);
  }
  return out;
}, targets);
const n = await page.evaluate(() => window.viewer.steps);
let x = 12345;
const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
const mid = Math.floor(n / 2);
await page.evaluate((m) => window.viewer.goto(m), mid);
const forward = await measure(Array.from({ length: steps }, (_, i) => mid + 1 + i));
const back = await measure(Array.from({ length: steps }, (_, i) => mid + steps - 1 - i));
const jumps = await measure(Array.from({ length: Math.max(20, steps / 10) }, () => Math.floor(rand() * (n + 1))));
await browser.close();
console.log(JSON.stringify({ steps: n, load: stats(loadMs), forward: stats(forward), back: stats(back), jump: stats(jumps), errors }));
