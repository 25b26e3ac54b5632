// Where the wasm training step spends its time: a V8 CPU profile of the training worker while it
// runs one benchmark (default `steps:0`, MLP2 width 256 batch 128), self time per wasm function.
//   node tests/bench/profile.mjs [kind] [top] [before]     (after ./build.sh build)
// `before`: benchmarks to run first, comma-separated (the worker's memory then looks different).
// INCLUSIVE=regex also prints inclusive time for the matching functions.
import { serve, browser } from '../e2e/harness.mjs';

const kind = process.argv[2] || 'steps:0';
const top = Number(process.argv[3] || 40);
const before = (process.argv[4] || '').split(',').filter(Boolean);
const PAGE = `<!doctype html><script type="module">
import { TrainingWorker } from './workers.js';
const w = new TrainingWorker((d) => {
  if (d.type === 'ready') window.ready = true;
  if (d.type === 'bench') window.result = d.result;
  if (d.type === 'error') window.result = 'error: ' + d.message;
}, (m) => (window.result = 'error: ' + m));
window.go = (kind) => w.post({ type: 'bench', kind });
</script>`;
const srv = await serve((p) => (p === '/profile.html' ? { status: 200, body: PAGE, type: 'text/html' } : null));
const b = await browser();
const page = await b.newPage();
const cdp = await page.context().newCDPSession(page);
// The worker is reached through the page's session (non-flattened: messages wrapped).
let workerSession = null;
let nextId = 1;
const pending = new Map();
cdp.on('Target.attachedToTarget', (e) => {
  if (e.targetInfo.type === 'worker') workerSession = e.sessionId;
});
cdp.on('Target.receivedMessageFromTarget', (e) => {
  const msg = JSON.parse(e.message);
  if (msg.id && pending.has(msg.id)) {
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  }
});
const send = (method, params = {}) =>
  new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    cdp.send('Target.sendMessageToTarget', { sessionId: workerSession, message: JSON.stringify({ id, method, params }) });
  });
await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
await page.goto(`${srv.origin}/profile.html`);
await page.waitForFunction(() => window.ready, null, { timeout: 120_000 });
if (!workerSession) throw new Error('no worker target');
// Warm up once (V8 tiers the wasm up), then profile a second run.
for (const k of [...before, kind]) {
  await page.evaluate((k) => window.go(k), k);
  await page.waitForFunction(() => window.result, null, { timeout: 600_000 });
  console.log(`${k}:`, JSON.stringify(await page.evaluate(() => window.result)));
  await page.evaluate(() => (window.result = null));
}
await send('Profiler.enable');
await send('Profiler.setSamplingInterval', { interval: 100 });
await send('Profiler.start');
await page.evaluate((k) => window.go(k), kind);
await page.waitForFunction(() => window.result, null, { timeout: 600_000 });
console.log('profiled:', JSON.stringify(await page.evaluate(() => window.result)));
const { result } = await send('Profiler.stop');
const profile = result.profile;
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const counts = new Map();
for (const s of profile.samples) counts.set(s, (counts.get(s) || 0) + 1);
let total = 0;
for (const [id, c] of counts) {
  const name = byId.get(id).callFrame.functionName || '(anonymous)';
  self.set(name, (self.get(name) || 0) + c);
  total += c;
}
const busy = total - (self.get('(idle)') || 0) - (self.get('(program)') || 0);
console.log(`samples: ${total}, busy: ${busy}`);
for (const [name, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * c) / busy).toFixed(1).padStart(5)}%  ${name.slice(0, 150)}`);
}
// Inclusive time: each sample counted once for every distinct function on its stack.
if (process.env.INCLUSIVE) {
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const incl = new Map();
  for (const [id, c] of counts) {
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) seen.add(byId.get(n).callFrame.functionName);
    for (const name of seen) incl.set(name, (incl.get(name) || 0) + c);
  }
  const re = new RegExp(process.env.INCLUSIVE);
  console.log('inclusive:');
  for (const [name, c] of [...incl].filter(([n]) => re.test(n)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * c) / busy).toFixed(1).padStart(5)}%  ${name.slice(0, 170)}`);
  }
}
await b.close();
srv.server.close();
