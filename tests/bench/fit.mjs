// Fits the browser estimate's coefficients (src/estimate.rs, Throughput::BROWSER) to runs pressed
// in the real page: `BENCH_PARTS=fit ./build.sh bench` writes target/page-fit.json, then
// `node tests/bench/fit.mjs` prints the coefficients. Non-negative least squares on relative
// errors (a 10 s run counts as much as a 100 s one), by coordinate descent.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const rows = JSON.parse(fs.readFileSync(path.join(ROOT, 'target/page-fit.json'), 'utf8'));
// The coefficients are for this host as it was during the fit; its speed is the median of the
// pages' probes (seconds per default step), Throughput::BROWSER.probe_secs_per_step. The walls
// are not scaled by each page's own probe: on an idle host the probe's page-to-page spread
// (2026-12-03: 7.6-10.3 ms) is larger than the host's drift over the few minutes of the fit
// (scaled: every run within 0.92-1.13 of the fit; unscaled: 0.92-1.09).
const probes = rows.map((r) => r.probe).sort((a, b) => a - b);
const reference = probes[Math.floor(probes.length / 2)];
// Terms of Work (src/estimate.rs) and the run's constant; the names of their coefficients.
const TERMS = ['train_flops', 'conv_flops', 'conv_outputs', 'eval_flops', 'steps', 'parameter_updates', 'white_images', 'records', 'run'];
const X = rows.map((r) => TERMS.map((t) => (t === 'run' ? 1 : r.work[t]) / r.wall));
const y = rows.map(() => 1);
const scale = TERMS.map((_, j) => Math.max(...X.map((x) => x[j])) || 1);
const A = X.map((x) => x.map((v, j) => v / scale[j]));
let w = TERMS.map(() => 0);
for (let sweep = 0; sweep < 20000; sweep++) {
  for (let j = 0; j < TERMS.length; j++) {
    let num = 0;
    let den = 0;
    for (let i = 0; i < A.length; i++) {
      const rest = A[i].reduce((s, a, k) => s + (k === j ? 0 : a * w[k]), 0);
      num += A[i][j] * (y[i] - rest);
      den += A[i][j] ** 2;
    }
    w[j] = den > 0 ? Math.max(0, num / den) : 0;
  }
}
const coef = w.map((v, j) => v / scale[j]);
const predict = (r) => TERMS.reduce((s, t, j) => s + coef[j] * (t === 'run' ? 1 : r.work[t]), 0);
console.log(`probe_secs_per_step: ${reference.toExponential(3)} (pages: ${probes[0].toExponential(3)} to ${probes[probes.length - 1].toExponential(3)})`);
console.log('coefficients (seconds per unit):');
TERMS.forEach((t, j) => console.log(`  ${t}: ${coef[j].toExponential(3)}${t.endsWith('flops') && coef[j] > 0 ? ` (${(1 / coef[j] / 1e9).toFixed(1)} GFLOP/s)` : ''}`));
console.log('\n| run | probe ms | wall s | fitted s | ratio |');
for (const r of rows) console.log(`| ${r.query} | ${(r.probe * 1e3).toFixed(1)} | ${r.wall.toFixed(1)} | ${predict(r).toFixed(1)} | ${(r.wall / predict(r)).toFixed(2)} |`);
