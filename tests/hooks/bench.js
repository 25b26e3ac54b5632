// The browser half of `./build.sh bench`: every figure measured in a training worker, as the
// page trains; results in `#bench-status[data-results]` (JSON) for the runner, and as a table.
import { TrainingWorker } from './workers.js';
import { Sweep } from './sweep.js';

const $ = (id) => document.getElementById(id);

/** The figures named in `only`, or (null) every figure the core lists for the browser. */
function measure(only) {
  return new Promise((resolve, reject) => {
    const results = {};
    let kinds = only;
    let i = 0;
    const worker = new TrainingWorker(
      (data) => {
        if (data.type === 'ready') worker.post(kinds ? { type: 'bench', kind: kinds[i] } : { type: 'bench-kinds' });
        else if (data.type === 'bench-kinds') {
          kinds = data.kinds;
          worker.post({ type: 'bench', kind: kinds[i] });
        } else if (data.type === 'bench') {
          results[data.kind] = data.result;
          $('bench-status').textContent = `Running… ${++i} of ${kinds.length}`;
          if (i < kinds.length) worker.post({ type: 'bench', kind: kinds[i] });
          else {
            worker.terminate();
            resolve(results);
          }
        } else if (data.type === 'error') reject(new Error(data.message));
      },
      (message) => reject(new Error(message)),
    );
  });
}

/**
 * Seconds for a sweep of `points` runs of 100,000 examples (about 5 s each, shorter than a quick
 * preset's points) in `workers` workers, each loading its own data (included).
 */
function sweepSeconds(points, workers) {
  const spec = {
    name: `bench-scaling-${workers}`,
    series: [{ label: 'bench' }],
    points: Array.from({ length: points }, (_, k) => ({ series: 0, x: k, query: `model=mlp2&width=256&clean=5000&alpha=19&epochs=1&batch=128&optimizer=sgd&lr=0.05&seed=${k + 1}` })),
  };
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sweep = new Sweep(spec, 'bench', () => {
      if (!sweep.running && sweep.pending().length === 0) resolve((performance.now() - t0) / 1000);
    });
    sweep.clear();
    sweep.start(workers);
  });
}

async function main() {
  // `?kinds=gemm,steps:0`: only those (the runner measures what users wait for beside them).
  const only = new URLSearchParams(location.search).get('kinds');
  const results = await measure(only ? only.split(',') : null);
  if (only) return finish(results);
  const one = await sweepSeconds(6, 1);
  const two = await sweepSeconds(6, 2);
  results.scaling = { points: 6, one_worker_secs: one, two_workers_secs: two, speedup: one / two };
  finish(results);
}

function finish(results) {
  $('bench-table').textContent = JSON.stringify(results, null, 2);
  Object.assign($('bench-status').dataset, { state: 'done', results: JSON.stringify(results) });
  $('bench-status').textContent = 'Done.';
}

main().catch((e) => {
  Object.assign($('bench-status').dataset, { state: 'error' });
  $('bench-status').textContent = `Failed: ${e.message}`;
});
