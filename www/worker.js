// Training runs here, never on the page's thread. The wasm trains in ~60 ms slices and the
// worker yields between them, so pause/stop messages are answered promptly.
import init, { Lab } from './pkg/label_noise_lab.js';

let lab = null;
let running = false;
let stopAfterEpoch = false;
let fashionReady = null;

function fail(e) {
  running = false;
  postMessage({ type: 'error', message: String((e && e.message) || e) });
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function loadDataset(manifest, name, onChunk) {
  const entry = manifest.datasets.find((d) => d.name === name);
  if (!entry) throw new Error(`data/manifest.json has no ${name} data`);
  for (const chunk of entry.chunks) {
    lab.add_chunk(name, chunk.file, await fetchBytes(`data/${chunk.file}`));
    onChunk(chunk);
  }
}

async function load() {
  await init();
  lab = new Lab();
  const response = await fetch('data/manifest.json');
  if (!response.ok) throw new Error(`data/manifest.json: HTTP ${response.status} (run ./build.sh)`);
  const manifest = await response.json();
  const mnist = manifest.datasets.find((d) => d.name === 'mnist');
  const total = mnist ? mnist.chunks.reduce((s, c) => s + c.gzip_bytes, 0) : 1;
  let loaded = 0;
  await loadDataset(manifest, 'mnist', (c) => {
    loaded += c.gzip_bytes;
    postMessage({ type: 'loading', fraction: loaded / total });
  });
  postMessage({ type: 'ready' });
  // Fashion-MNIST is only for one noise kind: it streams in after the page is usable.
  // A failure here matters only to a run that asks for Fashion noise: that run reports it.
  fashionReady = manifest.datasets.some((d) => d.name === 'fashion')
    ? loadDataset(manifest, 'fashion', () => {})
    : Promise.reject(new Error('this site was built without Fashion-MNIST (set FASHION_MNIST_DIR and rebuild)'));
  fashionReady.catch(() => {});
}

function tick() {
  if (!running) return;
  try {
    const reports = JSON.parse(lab.train_for(60));
    const done = lab.is_done();
    postMessage({ type: 'reports', reports, progress: lab.progress() });
    if (done) {
      running = false;
      postMessage({ type: 'done', summary: JSON.parse(lab.summary()) });
      return;
    }
    if (stopAfterEpoch && reports.some((r) => r.end_of_epoch)) {
      running = false;
      stopAfterEpoch = false;
      postMessage({ type: 'paused' });
      return;
    }
    setTimeout(tick, 0);
  } catch (e) {
    fail(e);
  }
}

onmessage = async ({ data }) => {
  try {
    if (data.type === 'load') await load();
    else if (data.type === 'start') {
      if (data.query.includes('noise=fashion')) {
        await fashionReady.catch((e) => {
          throw new Error(`Fashion-MNIST could not be loaded: ${e.message}`);
        });
      }
      const info = JSON.parse(lab.start(data.query));
      const gallery = lab.gallery(32);
      postMessage({ type: 'started', info, gallery }, [gallery.buffer]);
      running = true;
      stopAfterEpoch = !!data.oneEpoch;
      tick();
    } else if (data.type === 'resume') {
      running = true;
      stopAfterEpoch = !!data.oneEpoch;
      tick();
    } else if (data.type === 'pause') {
      running = false;
      postMessage({ type: 'paused' });
    } else if (data.type === 'stop') {
      running = false;
      lab && lab.stop();
    }
  } catch (e) {
    fail(e);
  }
};
