// TensorFlow.js 4.22 training the benchmark's MLP2 (784-256-256-10, batch 128, plain SGD) in a
// Web Worker, single-threaded as our lab runs, so `./build.sh bench` can print the two side by
// side. Data is one fixed synthetic batch (no batch assembly: if anything this favours TF.js).
importScripts('tf.min.js', 'tf-backend-wasm.min.js');

onmessage = async ({ data: { backend, warmup, blocks, perBlock } }) => {
  try {
    if (backend === 'wasm') tf.wasm.setWasmPaths(new URL('./', self.location.href).href);
    if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js backend ${backend} failed to start`);
    await tf.ready();
    const flags = backend === 'wasm' ? { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') } : {};
    const batch = 128;
    const dense = (inputs, outputs) => [tf.variable(tf.randomNormal([inputs, outputs], 0, Math.sqrt(2 / inputs))), tf.variable(tf.zeros([outputs]))];
    const layers = [dense(784, 256), dense(256, 256), dense(256, 10)];
    const x = tf.randomUniform([batch, 784]);
    const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
    const sgd = tf.train.sgd(0.05);
    const loss = () => {
      let h = x;
      layers.forEach(([w, b], k) => {
        h = tf.add(tf.matMul(h, w), b);
        if (k < layers.length - 1) h = tf.relu(h);
      });
      return tf.losses.softmaxCrossEntropy(y, h);
    };
    const run = (n) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) sgd.minimize(loss);
      layers[2][1].dataSync(); // wait for the last update
      return performance.now() - t0;
    };
    // Sampled as the lab's own steps (src/bench.rs `Sampling`): after a warm-up, the median of
    // equal blocks (the steady state), and every timed step together.
    run(warmup);
    const ms = Array.from({ length: blocks }, () => run(perBlock));
    const median = (perBlock * batch * 1000) / [...ms].sort((a, b) => a - b)[Math.floor(blocks / 2)];
    const overall = (blocks * perBlock * batch * 1000) / ms.reduce((a, b) => a + b, 0);
    const leaked = tf.memory().numTensors;
    postMessage({ backend, ...flags, steps: blocks * perBlock, samples_per_sec: median, overall_samples_per_sec: overall, tensors_alive: leaked });
  } catch (e) {
    postMessage({ backend, error: String(e?.message || e) });
  }
};
