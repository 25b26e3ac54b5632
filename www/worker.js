// Training runs here, never on the page's thread. The wasm trains in ~60 ms slices and the
// worker yields between them, so pause/stop messages are answered promptly.
import init, { Lab, probe_speed, take_panic_message } from './pkg/label_noise_lab.js';

let lab = null;
let running = false;
let stopAfterEpoch = false;
let fashionReady = null;
let runId = 0;

function fail(e) {
  running = false;
  // A Rust panic surfaces here as a trap ("unreachable"); its own message says more. After a
  // panic the wasm instance cannot be trusted: the page replaces this worker on Reset.
  const panic = lab ? take_panic_message() : null;
  const message = panic ? `the WebAssembly code panicked: ${panic}` : String((e && e.message) || e);
  postMessage({ type: 'error', message, fatal: !!panic });
}

// Relative to this module, not to the worker's location: in a sandboxed frame the worker is
// started from a blob: URL.
const site = (path) => new URL(`./${path}`, import.meta.url);

async function fetchBytes(path) {
  const response = await fetch(site(path));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// The MNIST training images stream in after the page is usable: a run waits only for the
// chunks it needs (see `Lab.train_images_needed`), and gets the same examples as with all loaded.
let totalTrain = 0;
let waiters = [];
let dataFailure = null;

function notifyWaiters() {
  const loaded = lab.train_images_loaded();
  waiters = waiters.filter((w) => {
    if (dataFailure) w.reject(dataFailure);
    else if (loaded >= w.needed) w.resolve();
    else return true;
    return false;
  });
}

function whenTrainImages(needed) {
  if (lab.train_images_loaded() >= needed) return Promise.resolve();
  if (dataFailure) return Promise.reject(dataFailure);
  return new Promise((resolve, reject) => waiters.push({ needed, resolve, reject }));
}

function chunksOf(manifest, name) {
  const entry = manifest.datasets.find((d) => d.name === name);
  if (!entry) return null;
  // The test set first (every run evaluates on it), then training images in order.
  const chunks = [...entry.chunks].sort((a, b) => (a.split === b.split ? a.first - b.first : a.split === 'test' ? -1 : 1));
  return { entry, chunks };
}

async function addChunks(name, chunks, onChunk) {
  for (const chunk of chunks) {
    lab.add_chunk(name, chunk.file, await fetchBytes(`data/${chunk.file}`));
    onChunk(chunk);
  }
}

// The wasm instance, once: 'load' and 'probe' may arrive before it is ready.
let instantiated = null;
const ready = () => (instantiated ||= init());

async function load() {
  await ready();
  lab = new Lab();
  const response = await fetch(site('data/manifest.json'));
  if (!response.ok) throw new Error(`data/manifest.json: HTTP ${response.status} (run ./build.sh)`);
  const manifest = await response.json();
  // The chunks' format (src/core/packed.rs): a site built by another version must be rebuilt.
  if (manifest.format !== 'LNL1') throw new Error(`data/manifest.json is in format ${JSON.stringify(manifest.format)}, not LNL1 (run ./build.sh)`);
  const mnist = chunksOf(manifest, 'mnist');
  if (!mnist) throw new Error('data/manifest.json has no MNIST data');
  totalTrain = mnist.entry.train_images;
  const total = mnist.chunks.reduce((s, c) => s + c.gzip_bytes, 0);
  let loaded = 0;
  const progress = (c) => {
    loaded += c.gzip_bytes;
    return { fraction: loaded / total, trainLoaded: lab.train_images_loaded(), totalTrain };
  };
  // First what a default run needs: the test set and the first training chunk.
  const firstTrain = mnist.chunks.findIndex((c) => c.split === 'train');
  await addChunks('mnist', mnist.chunks.slice(0, firstTrain + 1), (c) => postMessage({ type: 'loading', ...progress(c) }));
  postMessage({ type: 'ready', ...progress({ gzip_bytes: 0 }) });
  // Fashion-MNIST is only for one noise kind; a failure matters only to a run that asks for it.
  fashionReady = (async () => {
    const rest = mnist.chunks.slice(firstTrain + 1);
    try {
      await addChunks('mnist', rest, (c) => {
        postMessage({ type: 'data', ...progress(c) });
        notifyWaiters();
      });
    } catch (e) {
      dataFailure = new Error(`MNIST training images beyond the first ${lab.train_images_loaded().toLocaleString('en')} could not be loaded: ${e.message}`);
      notifyWaiters();
      postMessage({ type: 'dataError', message: dataFailure.message });
    }
    const fashion = chunksOf(manifest, 'fashion');
    if (!fashion) throw new Error('this site was built without Fashion-MNIST (set FASHION_MNIST_DIR and rebuild)');
    await addChunks('fashion', fashion.chunks, () => {});
  })();
  fashionReady.catch(() => {});
}

// One chain of training slices at a time: a pause quickly followed by a resume must not leave
// the old chain's pending slice running beside the new one. Slices yield through a MessageChannel:
// nested setTimeout(0) calls are clamped to 4 ms, which would idle the worker ~6% of the run.
const SLICE_MS = 60;
let chain = 0;
const yielder = new MessageChannel();
yielder.port1.onmessage = ({ data }) => tick(data);
function schedule() {
  yielder.port2.postMessage(++chain);
}

function tick(mine) {
  if (!running || mine !== chain) return;
  try {
    const epoch = lab.epochs_done();
    const reports = JSON.parse(lab.train_for(SLICE_MS, stopAfterEpoch));
    const done = lab.is_done();
    postMessage({ type: 'reports', reports, progress: lab.progress(), samples: lab.samples_trained() });
    sendTemplates(done);
    if (done) {
      running = false;
      postMessage({ type: 'done', summary: JSON.parse(lab.summary()) });
      return;
    }
    if (stopAfterEpoch && lab.epochs_done() > epoch) {
      running = false;
      stopAfterEpoch = false;
      postMessage({ type: 'paused' });
      return;
    }
    schedule();
  } catch (e) {
    fail(e);
  }
}

// The first layer's templates, about once a second while training (and at the end): a 784 x 32
// read of the weights costs far less than a slice, but the page need not redraw them per slice.
const TEMPLATES = 32;
let templatesAt = 0;
let liveRun = false; // only the lab's own runs show templates; a figure's points do not
function sendTemplates(force) {
  if (!liveRun) return;
  const now = performance.now();
  if (!force && now - templatesAt < 1000) return;
  templatesAt = now;
  const weights = lab.input_templates(TEMPLATES);
  postMessage({ type: 'templates', weights }, [weights.buffer]);
}

onmessage = async ({ data }) => {
  try {
    if (data.type === 'load') await load();
    else if (data.type === 'probe') {
      // This host's speed for the page's estimates (between the chunks still streaming in).
      await ready();
      postMessage({ type: 'speed', secsPerStep: probe_speed() });
    }
    else if (data.type === 'start') {
      const run = ++runId;
      running = false;
      const needed = Lab.train_images_needed(data.query, totalTrain);
      if (lab.train_images_loaded() < needed) {
        postMessage({ type: 'waiting', needed, loaded: lab.train_images_loaded() });
        await whenTrainImages(needed);
      }
      if (data.query.includes('noise=fashion')) {
        await fashionReady.catch((e) => {
          throw new Error(`Fashion-MNIST could not be loaded: ${e.message}`);
        });
      }
      if (run !== runId) return; // stopped or replaced while waiting for data
      // The lab's own runs draw a live curve; a figure's points report as their preset says.
      const reporting = data.reporting ?? 'live';
      liveRun = reporting === 'live';
      const info = JSON.parse(lab.start(data.query, totalTrain, reporting));
      const gallery = lab.gallery(32);
      postMessage({ type: 'started', info, gallery }, [gallery.buffer]);
      running = true;
      stopAfterEpoch = !!data.oneEpoch;
      schedule();
    } else if (data.type === 'resume') {
      running = true;
      stopAfterEpoch = !!data.oneEpoch;
      schedule();
    } else if (data.type === 'classify' || data.type === 'cell') {
      // Questions to the model of the current (or last) run; without one, an answer that says so
      // (not a run failure).
      try {
        if (data.type === 'classify') postMessage({ type: 'classified', probabilities: [...lab.classify(data.pixels)] });
        else {
          const images = lab.test_examples(data.actual, data.predicted, data.count || 24);
          postMessage({ type: 'cell', actual: data.actual, predicted: data.predicted, images }, [images.buffer]);
        }
      } catch (e) {
        postMessage({ type: data.type === 'classify' ? 'classified' : 'cell', ...data, images: null, error: String(e.message || e) });
      }
    } else if (data.type === 'ping') {
      postMessage({ type: 'pong' });
    } else if (data.type === 'pause') {
      running = false;
      postMessage({ type: 'paused' });
    } else if (data.type === 'stop') {
      runId++;
      running = false;
      lab && lab.stop();
    }
  } catch (e) {
    fail(e);
  }
};
