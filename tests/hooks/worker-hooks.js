// Appended to www/worker.js by the test server (tests/e2e/harness.mjs, `serve({ hooks: true })`),
// so it shares the worker module's scope (`lab`, `fail`, `whenTrainImages`, `totalTrain`). It is
// served only with the wasm built with the `bench` feature (target/hooks-pkg), never deployed.
import { crash_test, bench_kinds } from './pkg/label_noise_lab.js';

const productHandler = onmessage;
onmessage = async (event) => {
  const { data } = event;
  try {
    if (data.type === 'bench') {
      // Benchmarks use all of MNIST (the 60,000-image epoch).
      await whenTrainImages(totalTrain);
      postMessage({ type: 'bench', kind: data.kind, result: JSON.parse(lab.bench(data.kind)) });
    } else if (data.type === 'bench-kinds') {
      postMessage({ type: 'bench-kinds', kinds: bench_kinds() });
    } else if (data.type === 'crash-test') {
      crash_test(data.message || 'requested');
    } else {
      await productHandler(event);
    }
  } catch (e) {
    fail(e);
  }
};
