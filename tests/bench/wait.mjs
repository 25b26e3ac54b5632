// What users wait for, in the real page in headless Chromium: a run pressed with Train until
// Done, a figure preset from Run until its last point, and the page's pre-run estimate beside
// the wall time of every run. Prints markdown tables (BENCHMARKS.md keeps the latest).
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { serve, browser } from '../e2e/harness.mjs';
import { spread, fmt } from './stats.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The page's default run (MLP2 w256 b128 Adam, n = 10,000, alpha = 20, 5 epochs): the URL is empty. */
const DEFAULT = '';
/** A spread of runs for estimate vs actual: perceptron to MLP4 and the conv nets, batch 32 to 256, alpha 0 to 100, every noise kind. */
export const CONFIGS = [
  ['perceptron b32, n=10,000, alpha=0, 10 epochs', 'model=perceptron&batch=32&alpha=0&epochs=10'],
  ['MLP1 w256 b64, n=5,000, alpha=50, 1 epoch', 'model=mlp1&batch=64&clean=5000&alpha=50&epochs=1'],
  ['MLP2 w256 b128, the default run', DEFAULT],
  ['MLP2 w512 b256, n=2,000, alpha=100, 1 epoch', 'width=512&batch=256&clean=2000&alpha=100&epochs=1'],
  ['MLP4 w256 b128, n=4,000, alpha=20, 1 epoch', 'model=mlp4&clean=4000&alpha=20&epochs=1'],
  ['MLP2 w256 b64, structured delta=0.5 confusion, n=5,000, alpha=20, 2 epochs', 'noise=structured&delta=0.5&batch=64&clean=5000&alpha=20&epochs=2'],
  ['MLP1 w128 b128, Fashion-MNIST noise, n=10,000, alpha=10, 2 epochs', 'model=mlp1&width=128&noise=fashion&alpha=10&epochs=2'],
  ['MLP2 w256 b128, white noise, n=10,000, alpha=10, 2 epochs', 'noise=white&alpha=10&epochs=2'],
  ['MLP2 w256 b128, H_alpha, n=10,000, alpha=50, 10 epochs', 'h-alpha=true&alpha=50&epochs=10'],
  ['Conv4 w128 b128, n=2,000, alpha=5, 1 epoch', 'model=conv4&width=128&clean=2000&alpha=5&epochs=1'],
  ['Conv2 b64, n=5,000, alpha=0, 2 epochs', 'model=conv2&batch=64&clean=5000&alpha=0&epochs=2'],
];

/** Short runs that span the estimate's terms, to fit its coefficients (`BENCH_PARTS=fit`; see fit.mjs). */
export const FIT_CONFIGS = [
  'model=mlp2&batch=1&clean=1000&alpha=2&epochs=1',
  'model=mlp1&width=128&batch=4&clean=2000&alpha=5&epochs=1',
  'model=perceptron&batch=16&clean=2000&alpha=5&epochs=3',
  'model=perceptron&batch=256&clean=10000&alpha=50&epochs=1',
  'model=perceptron&batch=4096&clean=20000&alpha=100&epochs=1',
  'model=mlp1&width=64&batch=32&clean=3000&alpha=10&epochs=1',
  'model=mlp1&width=512&batch=128&clean=5000&alpha=20&epochs=1',
  'model=mlp1&width=256&clean=500&alpha=0&epochs=40',
  'model=mlp2&width=128&batch=256&clean=10000&alpha=30&epochs=1',
  'model=mlp2&width=256&batch=32&clean=2000&alpha=20&epochs=1',
  'model=mlp2&width=1024&clean=1000&alpha=20&epochs=1',
  'model=mlp4&width=128&batch=64&clean=5000&alpha=10&epochs=1',
  'model=mlp4&width=512&batch=256&clean=2000&alpha=10&epochs=1',
  'model=mlp1&width=128&noise=structured&delta=0.5&clean=5000&alpha=10&epochs=1',
  'model=mlp1&width=256&h-alpha=true&clean=2000&alpha=20&epochs=20',
  'model=perceptron&noise=white&clean=5000&alpha=20&epochs=1',
  'model=mlp1&width=64&noise=white&clean=5000&alpha=10&epochs=2',
  // The conv nets, at widths and batches whose conv flops and conv outputs differ in proportion.
  'model=conv2&batch=128&clean=2000&alpha=2&epochs=1',
  'model=conv4&width=64&batch=64&clean=1000&alpha=2&epochs=1',
  'model=conv4&width=128&batch=256&clean=1000&alpha=1&epochs=1',
  // One long enough for training to outweigh the evaluation (the runs above are mostly the test
  // set's forward pass): without it a 12,000-example Conv4 run came in at 0.73 of its estimate.
  'model=conv4&width=256&clean=2000&alpha=9&epochs=1',
];

const dataset = (page, id) => page.evaluate((id) => ({ ...document.getElementById(id).dataset }), id);

/** Opens the lab at `query`, waits for all data, presses Train; the estimate and wall time. */
async function pressTrain(b, origin, query) {
  const page = await b.newPage();
  await page.goto(`${origin}/?${query}`);
  await page.waitForFunction(() => document.getElementById('run-status').dataset.state === 'ready', null, { timeout: 120_000 });
  // Every image has arrived (Fashion-MNIST streams last): the run waits for no data.
  await page.waitForFunction(() => document.getElementById('data-status').textContent === '', null, { timeout: 120_000 });
  await page.waitForTimeout(3000);
  // The estimate, and the worker's probe of this host that scaled it (fit.mjs records it).
  const { seconds, speed, probe } = await dataset(page, 'estimate');
  const estimate = Number(seconds);
  // The estimate's terms, for fitting its coefficients (fit.mjs).
  const work = await page.evaluate(async (query) => {
    const wasm = await import('./pkg/label_noise_lab.js');
    return JSON.parse(wasm.parse_query(query)).estimate.work;
  }, query);
  const t0 = Date.now();
  await page.click('#play');
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('run-status').dataset.state), null, { timeout: 3_600_000 });
  const wall = (Date.now() - t0) / 1000;
  const status = await dataset(page, 'run-status');
  if (status.state !== 'done') throw new Error(`${query}: ${await page.textContent('#status-text')}`);
  const shown = await page.textContent('#status-detail');
  // The page's longest main-thread task from opening to Done (its own PerformanceObserver).
  const longestTask = Number(await page.evaluate(() => document.body.dataset.longestTask || 0));
  await page.close();
  return { estimate, speed: Number(speed), probe: Number(probe), work, wall, samples: Number(status.samples), accuracy: Number(status.testAccuracy), shown, longestTask };
}

/** The default run's pure training step in the same browser (tests/hooks/bench.html on the `bench` build, `steps:5`). */
async function stepRate(b, origin) {
  const page = await b.newPage();
  await page.goto(`${origin}/bench.html?kinds=${encodeURIComponent('gemm,steps:5')}`);
  await page.waitForFunction(() => document.getElementById('bench-status').dataset.state !== 'running', null, { timeout: 600_000 });
  const results = JSON.parse((await dataset(page, 'bench-status')).results);
  await page.close();
  return results['steps:5'].samples_per_sec;
}

/** A figure preset at quick scale in `workers` workers: wall time from Run to its last point, and its points. */
async function figure(b, origin, name, workers) {
  const context = await b.newContext(); // fresh storage: no finished points to reuse
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.waitForSelector(`#figure-preset option[value="${name}"]`, { state: 'attached' });
  await page.selectOption('#figure-preset', name);
  await page.selectOption('#figure-scale', 'quick');
  await page.fill('#figure-workers', String(workers));
  const t0 = Date.now();
  await page.click('#figure-run');
  // Done, or stopped with failed points (idle again).
  await page.waitForFunction(() => {
    const { state, failed } = document.getElementById('sweep-status').dataset;
    return state === 'done' || (state === 'idle' && failed !== '0');
  }, null, { timeout: 3_600_000 });
  const wall = (Date.now() - t0) / 1000;
  const status = await dataset(page, 'sweep-status');
  if (status.state !== 'done' || status.failed !== '0') throw new Error(`figure ${name}: ${await page.textContent('#sweep-status')}`);
  const points = await page.evaluate((name) => JSON.parse(localStorage.getItem(`label-noise-lab:sweep:${name}:quick`)), name);
  const spec = await page.evaluate(async (name) => {
    const wasm = await import('./pkg/label_noise_lab.js');
    return JSON.parse(wasm.preset(name, 'quick', 1)); // the page's quick default: one seed
  }, name);
  await context.close();
  return { wall, spec, points };
}

/** Mean absolute difference from the paper's points (the core's preset carries them) at the same x, in points. */
function paperError({ spec, points }) {
  const diffs = [];
  for (const p of spec.points) {
    const paper = spec.series[p.series].paper?.find(([x]) => x === p.x);
    if (paper && points[p.query]) diffs.push(Math.abs(points[p.query].test_accuracy - paper[1]) * 100);
  }
  return { mae: diffs.reduce((a, d) => a + d, 0) / diffs.length, count: diffs.length };
}

/** Runs FIT_CONFIGS in the page; writes their terms and wall times to target/page-fit.json. */
export async function fitRuns() {
  const srv = await serve();
  const b = await browser();
  try {
    const rows = [];
    for (const query of FIT_CONFIGS) {
      console.error(`fit: ${query}`);
      rows.push({ query, ...(await pressTrain(b, srv.origin, query)) });
    }
    fs.mkdirSync(path.join(ROOT, 'target'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'target/page-fit.json'), JSON.stringify(rows, null, 2));
  } finally {
    await b.close();
    srv.server.close();
  }
}

export async function waitFor(runs, parts) {
  // BENCH_LOAD=2: as many busy processes beside the browser, for a host slowed by other work
  // (the probe should see it and the estimate follow).
  const load = Array.from({ length: Number(process.env.BENCH_LOAD || 0) }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  try {
    await pagesAndFigures(runs, parts);
  } finally {
    for (const p of load) p.kill();
  }
}

async function pagesAndFigures(runs, parts) {
  const srv = await serve();
  // The step alone needs the benchmark hooks; the page runs are the product's.
  const hooked = await serve(undefined, { hooks: true });
  const b = await browser();
  try {
    if (parts.includes('wait')) await pageRuns(b, srv.origin, hooked.origin, runs);
    if (parts.includes('figure')) await figures(b, srv.origin);
    if (parts.includes('story')) await storyRuns(b, srv.origin);
  } finally {
    await b.close();
    srv.server.close();
  }
}

async function pageRuns(b, origin, hookedOrigin, runs) {
  // (a) The default page run, in `runs` fresh pages, beside the step rate of the same browser.
  const defaults = [];
  for (let i = 0; i < runs; i++) {
    console.error(`default page run ${i + 1} of ${runs}`);
    defaults.push({ ...(await pressTrain(b, origin, DEFAULT)), step: await stepRate(b, hookedOrigin) });
  }
  const e2e = defaults.map((r) => r.samples / r.wall);
  console.log(`\n| the default page run (MLP2 w256 b128 Adam, n=10,000, alpha=20, 5 epochs), Train to Done | median (min-max) of ${runs} |`);
  console.log('|---|---|');
  console.log(`| wall time | ${fmt(spread(defaults.map((r) => r.wall)), 1)} s |`);
  console.log(`| end-to-end samples/s (training + evaluation + messages) | ${fmt(spread(e2e))} |`);
  console.log(`| the same step alone in the same browser (bench.html, steady state) | ${fmt(spread(defaults.map((r) => r.step)))} |`);
  console.log(`| end to end / step | ${fmt(spread(defaults.map((r, i) => (e2e[i] / r.step) * 100)), 1)}% |`);
  console.log(`| the page's estimate | ${defaults[0].estimate.toFixed(1)} s |`);
  console.log(`| longest main-thread task, page open to Done (the page stays responsive below ~100 ms) | ${fmt(spread(defaults.map((r) => r.longestTask)))} ms |`);

  // (c) Estimate vs actual for a spread of configurations.
  console.log('\n| run pressed in the page | estimate s | actual s | actual / estimate | end-to-end samples/s | test accuracy | longest main-thread task | probe: ms a step (speed) |');
  console.log('|---|---|---|---|---|---|---|---|');
  const rows = [];
  for (const [label, query] of CONFIGS) {
    console.error(`estimate vs actual: ${label}`);
    const r = query === DEFAULT ? defaults[0] : await pressTrain(b, origin, query);
    rows.push({ label, query, ...r });
    console.log(`| ${label} | ${r.estimate.toFixed(1)} | ${r.wall.toFixed(1)} | ${(r.wall / r.estimate).toFixed(2)} | ${Math.round(r.samples / r.wall)} | ${(r.accuracy * 100).toFixed(1)}% | ${r.longestTask} ms | ${(r.probe * 1e3).toFixed(1)} (${r.speed.toFixed(2)}) |`);
  }
  const ratios = rows.map((r) => r.wall / r.estimate);
  console.log(`\nActual / estimate: ${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)} (target: within 0.75-1.25 for every row).`);
  fs.mkdirSync(path.join(ROOT, 'target'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'target/page-runs.json'), JSON.stringify(rows, null, 2));

}

async function figures(b, origin) {
  // (b) A quick figure (the uniform one unless BENCH_FIGURE names another preset) in 1 and 2
  // workers, and how close its points are to the paper's.
  const name = process.env.BENCH_FIGURE || 'uniform';
  console.log(`\n| quick ${name} figure, Run to last point | wall time | points | mean abs. difference from the paper |`);
  console.log('|---|---|---|---|');
  // BENCH_FIGURE_WORKERS=2 for the 2-worker row alone.
  for (const workers of (process.env.BENCH_FIGURE_WORKERS || '2,1').split(',').map(Number)) {
    console.error(`quick ${name} figure in ${workers} workers`);
    const f = await figure(b, origin, name, workers);
    const { mae, count } = paperError(f);
    console.log(`| ${workers} worker${workers > 1 ? 's' : ''} | ${f.wall.toFixed(0)} s | ${Object.keys(f.points).length} | ${mae.toFixed(1)} points over ${count} points |`);
  }
}

async function storyRuns(b, origin) {
  // (d) The guided story (story.html): every value of every section's control, pressed in turn
  // in one page as a reader would (one shared worker, one run at a time), Run to its result.
  const page = await b.newPage();
  await page.goto(`${origin}/story.html`);
  await page.waitForFunction(() => document.getElementById('story-status').dataset.state === 'ready', null, { timeout: 120_000 });
  const sections = await page.evaluate(async () => JSON.parse((await import('./pkg/label_noise_lab.js')).story_sections()));
  await page.click('#uniform-lock'); // the uniform section runs once a guess is locked in
  console.log('\n| story section: value (its default in bold) | Run to result | test accuracy |');
  console.log('|---|---|---|');
  const walls = [];
  for (const { id, control } of sections) {
    for (const value of control ? control.values : [null]) {
      console.error(`story ${id} ${value ?? ''}`);
      if (control) await page.selectOption(`#${id}-${control.name}`, value);
      const t0 = Date.now();
      await page.click(`#${id}-run`); // the click handler marks the mini-lab running
      await page.waitForFunction((id) => document.querySelector(`#${id} .mini-lab`).dataset.state !== 'running', id, { timeout: 3_600_000 });
      const wall = (Date.now() - t0) / 1000;
      const { state, accuracy } = await page.evaluate((id) => ({ ...document.querySelector(`#${id} .mini-lab`).dataset }), id);
      if (state !== 'done') throw new Error(`story ${id} ${value}: ${await page.textContent(`#${id} .mini-result`)}`);
      walls.push(wall);
      const name = control ? `${control.name} = ${value}` : 'its one run';
      console.log(`| ${id}: ${control && value === control.value ? `**${name}**` : name} | ${wall.toFixed(1)} s | ${(Number(accuracy) * 100).toFixed(1)}% |`);
    }
  }
  console.log(`\nStory runs: ${Math.min(...walls).toFixed(1)} to ${Math.max(...walls).toFixed(1)} s each, ${walls.reduce((a, w) => a + w, 0).toFixed(0)} s for all ${walls.length}.`);
  await page.close();
}
