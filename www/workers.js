// A training worker seen from the page: started (also inside sandboxed frames), watched, and
// ended. The single-run lab uses one; a figure sweep uses several.

// A worker can die without an error event (killed by the browser, out of memory, or closed):
// it answers a ping every 2 s between training slices, and 12 s of silence count as a crash.
const PING_MS = 2000;
const SILENCE_MS = 12000;

function newWorker() {
  const url = new URL('worker.js', import.meta.url);
  try {
    return new Worker(url, { type: 'module' });
  } catch {
    // A frame sandboxed without allow-same-origin has an opaque origin: it may not start a worker
    // from a URL, nor a module worker from a blob. A classic blob worker may import the module
    // (the host must send CORS headers); messages that arrive meanwhile are replayed.
    const source = `const early = [];
onmessage = (e) => early.push(e);
import(${JSON.stringify(url.href)}).then(
  () => early.forEach((e) => onmessage(e)),
  (e) => postMessage({ type: 'error', fatal: true, message: 'the training worker could not load (' + e.message + '); a sandboxed frame needs allow-same-origin or a host that sends CORS headers' }));`;
    return new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
  }
}

export class TrainingWorker {
  /**
   * Starts a worker and has it load the data. `onMessage(data)` gets every message but pongs;
   * `onCrash(message)` is called once if the worker dies (error event, fatal error or silence),
   * after which it is terminated.
   */
  constructor(onMessage, onCrash) {
    this.worker = newWorker();
    this.lastHeard = performance.now();
    this.alive = true;
    const crash = (message) => {
      if (!this.alive) return;
      this.terminate();
      onCrash(message);
    };
    this.worker.onmessage = ({ data }) => {
      this.lastHeard = performance.now();
      if (data.type === 'pong') return;
      onMessage(data);
      if (data.type === 'error' && data.fatal) crash(data.message);
    };
    this.worker.onerror = (e) => {
      e.preventDefault();
      crash(`the training worker crashed: ${e.message || 'unknown error'}`);
    };
    this.watchdog = setInterval(() => {
      if (performance.now() - this.lastHeard > SILENCE_MS) {
        crash(`the training worker stopped responding (${SILENCE_MS / 1000} s without a word): it may have run out of memory or been stopped by the browser`);
      } else this.post({ type: 'ping' });
    }, PING_MS);
    this.post({ type: 'load' });
  }

  post(message) {
    if (this.alive) this.worker.postMessage(message);
  }

  terminate() {
    this.alive = false;
    clearInterval(this.watchdog);
    this.worker.terminate();
  }
}
