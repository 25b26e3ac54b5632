// `./build.sh bench`: the native figures (label-noise-lab bench) beside the same figures in
// headless Chromium (tests/hooks/bench.html on the `bench` build, in a Web Worker as the lab trains), medians of 3 fresh
// browsers with min and max, plus page-open-to-first-step, bytes sent and sweep scaling.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { serve, browser } from '../e2e/harness.mjs';
import { waitFor, fitRuns } from './wait.mjs';
import { spread, fmt } from './stats.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RUNS = Number(process.env.BENCH_RUNS || 3);
// BENCH_PARTS=steps,wait,figure,story: the step tables (native and in the browser), what users
// wait for (page runs, estimate vs actual), a figure preset in the page and every story run;
// `fit` adds the short page runs that tests/bench/fit.mjs fits the estimate's coefficients to.
const PARTS = (process.env.BENCH_PARTS || 'steps,wait,figure,story').split(',');

if (PARTS.includes('steps')) await steps();
if (PARTS.includes('fit')) await fitRuns();
if (['wait', 'figure', 'story'].some((p) => PARTS.includes(p))) await waitFor(RUNS, PARTS);

async function steps() {
  console.error('native: label-noise-lab bench --json');
  const nativeOut = execFileSync(path.join(ROOT, 'target/release/label-noise-lab'), ['bench', '--json', '--repeat', String(RUNS)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const native = JSON.parse(nativeOut.trim().split('\n').at(-1));

  // TensorFlow.js, for comparison, from the npm packages (a dev dependency; never part of the page).
  const TFJS = {
    'bench.html': 'tests/bench/tfjs/bench.html',
    'worker.js': 'tests/bench/tfjs/worker.js',
    'tf.min.js': 'tests/bench/node_modules/@tensorflow/tfjs/dist/tf.min.js',
    'tf-backend-wasm.min.js': 'tests/bench/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js',
    'tfjs-backend-wasm.wasm': 'tests/bench/node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm': 'tests/bench/node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  };
  const TYPES = { html: 'text/html', js: 'text/javascript', wasm: 'application/wasm' };
  const tfjsFile = (p) => {
    const name = p.startsWith('/tfjs/') && TFJS[p.slice(6)];
    return name ? { status: 200, body: fs.readFileSync(path.join(ROOT, name)), type: TYPES[name.split('.').at(-1)] } : null;
  };

  const srv = await serve(tfjsFile, { hooks: true });
  const runs = [];
  const firstStep = [];
  const tfjs = [];
  for (let i = 0; i < RUNS; i++) {
    console.error(`browser run ${i + 1} of ${RUNS}`);
    const b = await browser();
    const page = await b.newPage();
    await page.goto(`${srv.origin}/bench.html`);
    await page.waitForFunction(() => document.getElementById('bench-status').dataset.state !== 'running', null, { timeout: 900_000 });
    const status = await page.evaluate(() => ({ ...document.getElementById('bench-status').dataset, text: document.getElementById('bench-status').textContent }));
    if (status.state !== 'done') throw new Error(status.text);
    runs.push(JSON.parse(status.results));
    const lab = await b.newPage();
    await lab.goto(`${srv.origin}/?model=mlp2&width=256&clean=10000&alpha=20&epochs=1&autostart=1`);
    await lab.waitForFunction(() => document.body.dataset.firstStepMs, null, { timeout: 60_000 });
    firstStep.push(Number(await lab.evaluate(() => document.body.dataset.firstStepMs)));
    await lab.close();
    const tf = await b.newPage();
    await tf.goto(`${srv.origin}/tfjs/bench.html`);
    await tf.waitForFunction(() => document.getElementById('tfjs-status').dataset.state !== 'running', null, { timeout: 600_000 });
    const tfStatus = await tf.evaluate(() => ({ ...document.getElementById('tfjs-status').dataset, text: document.getElementById('tfjs-status').textContent }));
    if (tfStatus.state !== 'done') throw new Error(`TensorFlow.js: ${tfStatus.text}`);
    tfjs.push(JSON.parse(tfStatus.results));
    await b.close();
  }
  srv.server.close();

  // The ceiling: the same 128x784 by 784x256 product measured twice per run, at the start of
  // the worker and again in the step breakdown; the better of the two (a ceiling should not be
  // lowered by one slow measurement, and this can only lower the ratios printed below).
  const ceiling = (gemm, products) => Math.max(gemm, products[0][1]);
  const wasmGemm = spread(runs.map((r) => ceiling(r.gemm.gemm_gflops, r.products)));
  const nativeGemm = ceiling(native.gemm_gflops[0], native.products);
  console.log(`\n| workload | native samples/s | % of native GEMM | wasm samples/s (in a worker) | % of wasm GEMM | native / wasm |`);
  console.log(`|---|---|---|---|---|---|`);
  console.log(`| GEMM 128x784 by 784x256, GFLOP/s (the ceiling) | ${nativeGemm.toFixed(1)} | 100% | ${fmt(wasmGemm, 1)} | 100% | ${(nativeGemm / wasmGemm.median).toFixed(1)}x |`);
  native.steps.forEach((n, k) => {
    if (!runs[0][`steps:${k}`]) {
      // Measured natively only (tests/hooks/bench.js says why).
      console.log(`| ${n.workload} | ${n.samples_per_sec[0].toFixed(0)} (${n.samples_per_sec[1].toFixed(0)}-${n.samples_per_sec[2].toFixed(0)}) | ${((n.gflops / nativeGemm) * 100).toFixed(1)}% | - | - | - |`);
      return;
    }
    const w = spread(runs.map((r) => r[`steps:${k}`].samples_per_sec));
    const ratios = spread(runs.map((r) => r[`steps:${k}`].gflops / ceiling(r.gemm.gemm_gflops, r.products)));
    console.log(`| ${n.workload} | ${n.samples_per_sec[0].toFixed(0)} (${n.samples_per_sec[1].toFixed(0)}-${n.samples_per_sec[2].toFixed(0)}) | ${((n.gflops / nativeGemm) * 100).toFixed(1)}% | ${fmt(w)} | ${(ratios.median * 100).toFixed(1)}% (${(ratios.min * 100).toFixed(1)}-${(ratios.max * 100).toFixed(1)}) | ${(n.samples_per_sec[0] / w.median).toFixed(1)}x |`);
  });
  // The training methods against plain cross-entropy on the same step (the page's default).
  const ceIndex = native.steps.findIndex((n) => /the page's default/.test(n.workload));
  console.log(`\n| method (MLP2 w256 b128 Adam, symmetric flips) | native samples/s | of ce | wasm samples/s | of ce |`);
  console.log(`|---|---|---|---|---|`);
  native.steps.forEach((n, k) => {
    if (k !== ceIndex && !/Adam (smoothing|bootstrap|gce|forward|coteach)/.test(n.workload)) return;
    const w = spread(runs.map((r) => r[`steps:${k}`].samples_per_sec)).median;
    const wCe = spread(runs.map((r) => r[`steps:${ceIndex}`].samples_per_sec)).median;
    const name = k === ceIndex ? 'ce (the default)' : n.workload.replace('MLP2 w256 b128 Adam ', '');
    console.log(`| ${name} | ${n.samples_per_sec[0].toFixed(0)} | ${((n.samples_per_sec[0] / native.steps[ceIndex].samples_per_sec[0]) * 100).toFixed(0)}% | ${w.toFixed(0)} | ${((w / wCe) * 100).toFixed(0)}% |`);
  });
  const overall = spread(runs.map((r) => r['steps:0'].overall_samples_per_sec));
  console.log(`\nSteps: 60 warm-up steps (7,680 samples), then the median of 8 blocks of 6,400 samples (steady state). MLP2 w256 b128 over all 8 blocks together: ${fmt(overall)} samples/s in the browser.`);

  // Where the step's time goes: each product alone, against the whole step.
  console.log(`\n| MLP2 w256 b128: each matrix product alone | native GFLOP/s | wasm GFLOP/s | wasm ms |`);
  console.log(`|---|---|---|---|`);
  native.products.forEach(([name, gflops], i) => {
    const w = spread(runs.map((r) => r.products[i][1]));
    const ms = spread(runs.map((r) => r.products[i][2]));
    console.log(`| ${name} | ${gflops.toFixed(1)} | ${fmt(w, 1)} | ${ms.median.toFixed(3)} |`);
  });
  const sumMs = (products) => products.reduce((t, p) => t + p[2], 0);
  const stepMs = (rate) => (128 / rate) * 1000;
  const wSum = spread(runs.map((r) => sumMs(r.products)));
  const wStep = spread(runs.map((r) => stepMs(r['steps:0'].samples_per_sec)));
  console.log(`| all products / the whole training step | ${sumMs(native.products).toFixed(3)} / ${stepMs(native.steps[0].samples_per_sec[0]).toFixed(3)} ms | | ${wSum.median.toFixed(3)} / ${wStep.median.toFixed(3)} ms |`);

  // Why the browser build colours big blocks (src/alloc.rs): the same product at chosen page offsets.
  const OFFSETS = [...new Set(runs[0].offsets.map(([x]) => x))];
  console.log(`\n| 128x784 by 784x256 (gemm crate) in the browser, GFLOP/s (median of ${RUNS}); weights at page offset 0 | ${OFFSETS.map((o) => `output at ${o}`).join(' | ')} |`);
  console.log(`|---|${OFFSETS.map(() => '---').join('|')}|`);
  OFFSETS.forEach((x, i) => {
    const cells = OFFSETS.map((_, j) => spread(runs.map((r) => r.offsets[i * OFFSETS.length + j][2])).median.toFixed(1));
    console.log(`| input at ${x} | ${cells.join(' | ')} |`);
  });
  console.log(`\n| end to end | native | wasm (in a worker) |`);
  console.log(`|---|---|---|`);
  native.epochs.forEach((n, k) => {
    const w = runs.map((r) => r[`epoch:${k}`]);
    const step = spread(runs.map((r) => r['steps:0'].samples_per_sec)).median;
    console.log(`| ${n[0].workload}: total ms (training samples/s, eval ms) | ${spread(n.map((f) => f.total_ms)).median.toFixed(0)} ms (${n[0].samples_per_sec.toFixed(0)}/s, ${n[0].eval_ms.toFixed(0)} ms) | ${fmt(spread(w.map((f) => f.total_ms)))} ms (${spread(w.map((f) => f.samples_per_sec)).median.toFixed(0)}/s = ${((spread(w.map((f) => f.samples_per_sec)).median / step) * 100).toFixed(0)}% of the pure-step rate, eval ${spread(w.map((f) => f.eval_ms)).median.toFixed(0)} ms) |`);
  });
  console.log(`| memory at alpha=100, n=60,000 (6.06M examples) | peak RSS ${native.peak_rss_mb.toFixed(0)} MB (plain and co-teaching) | wasm memory ${fmt(spread(runs.map((r) => r.memory.wasm_memory_mb)))} MB, with co-teaching ${fmt(spread(runs.map((r) => r['memory:1'].wasm_memory_mb)))} MB |`);
  console.log(`| page open to first training step (localhost) | - | ${fmt(spread(firstStep))} ms |`);

  // Every module the page loads (www/*.js, the service worker included) and the wasm.
  const files = ['www/pkg/label_noise_lab_bg.wasm', 'www/pkg/label_noise_lab.js', ...fs.readdirSync(path.join(ROOT, 'www')).filter((f) => f.endsWith('.js')).map((f) => `www/${f}`)];
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = fs.readFileSync(path.join(ROOT, f));
    raw += bytes.length;
    gz += zlib.gzipSync(bytes, { level: 9 }).length;
  }
  console.log(`| wasm + JS sent | - | ${(raw / 1e6).toFixed(2)} MB raw, ${(gz / 1e6).toFixed(2)} MB gzip |`);
  const sc = runs.map((r) => r.scaling);
  console.log(`| sweep of 6 points: 1 worker vs 2 workers | - | ${spread(sc.map((s) => s.one_worker_secs)).median.toFixed(1)} s vs ${spread(sc.map((s) => s.two_workers_secs)).median.toFixed(1)} s = ${fmt(spread(sc.map((s) => s.speedup)), 2)}x points per minute |`);

  // The same MLP2 w256 b128 step in TensorFlow.js, same browsers, same kind of worker.
  const ours = spread(runs.map((r) => r['steps:0'].samples_per_sec)).median;
  console.log(`\n| MLP2 w256 b128 training step, in a worker | samples/s | ours / this |`);
  console.log(`|---|---|---|`);
  console.log(`| this lab (burn, wasm simd128) | ${fmt(spread(runs.map((r) => r['steps:0'].samples_per_sec)))} | 1.0x |`);
  for (const [k, name] of ['TensorFlow.js 4.22 wasm backend', 'TensorFlow.js 4.22 cpu backend'].entries()) {
    const r = tfjs.map((t) => t[k]);
    const s = spread(r.map((t) => t.samples_per_sec));
    const how = r[0].backend === 'wasm' ? ` (SIMD ${r[0].simd ? 'on' : 'OFF'}, threads ${r[0].threads ? 'on' : 'off'})` : '';
    console.log(`| ${name}${how} | ${fmt(s)} | ${(ours / s.median).toFixed(1)}x |`);
  }
}
