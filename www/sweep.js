// A figure sweep: its points train in parallel workers, and finished points are kept in
// localStorage (keyed by each point's full configuration), so a reload resumes where it stopped.
import { TrainingWorker } from './workers.js';

const STORE = 'label-noise-lab:sweep:';

function load(key) {
  try {
    return JSON.parse(localStorage.getItem(STORE + key)) || {};
  } catch {
    return {}; // storage blocked (e.g. a sandboxed frame): results live as long as the page
  }
}

function save(key, results) {
  try {
    localStorage.setItem(STORE + key, JSON.stringify(results));
  } catch {}
}

export class Sweep {
  /** `spec` comes from the core's `preset()`; `onUpdate()` is called whenever anything changes. */
  constructor(spec, scale, onUpdate) {
    this.spec = spec;
    this.key = `${spec.name}:${scale}`;
    this.results = load(this.key); // query -> {test_accuracy, epochs, samples_per_sec}
    this.progress = {}; // query -> fraction, for points being trained
    this.failed = {}; // query -> message
    this.workers = [];
    this.running = false;
    this.onUpdate = onUpdate;
  }

  pending() {
    return this.spec.points.filter((p) => !this.results[p.query]);
  }

  /** Estimated seconds for the pending points in `count` workers, longest first. */
  estimate(count) {
    const load = Array(Math.max(1, count)).fill(0);
    for (const p of this.pending().sort((a, b) => b.seconds - a.seconds)) load[load.indexOf(Math.min(...load))] += p.seconds;
    return Math.max(...load);
  }

  /** Trains every point without a result in `count` workers. */
  start(count) {
    this.cancel();
    this.failed = {};
    // Longest first (the core's estimate): the last points to finish are short, so no worker
    // waits long for the others at the end.
    this.queue = this.pending().sort((a, b) => b.seconds - a.seconds);
    this.running = this.queue.length > 0;
    for (let i = 0; i < Math.min(count, this.queue.length); i++) this.spawn();
    this.onUpdate();
  }

  spawn() {
    const slot = { point: null };
    slot.worker = new TrainingWorker(
      (data) => this.onMessage(slot, data),
      (message) => {
        // A crashed worker fails its point; a fresh worker takes its place, the others carry on.
        this.workers = this.workers.filter((s) => s !== slot);
        if (slot.point) this.finish(slot, null, message);
        if (this.running && this.queue.length) this.spawn();
        this.checkDone();
      },
    );
    this.workers.push(slot);
  }

  next(slot) {
    slot.point = this.queue.shift() || null;
    if (slot.point) {
      this.progress[slot.point.query] = 0;
      slot.worker.post({ type: 'start', query: slot.point.query, reporting: this.spec.reporting });
    } else {
      slot.worker.terminate();
      this.workers = this.workers.filter((s) => s !== slot);
      this.checkDone();
    }
    this.onUpdate();
  }

  onMessage(slot, data) {
    if (data.type === 'ready') this.next(slot);
    else if (data.type === 'reports' && slot.point) {
      this.progress[slot.point.query] = data.progress;
      this.onUpdate();
    } else if (data.type === 'done' && slot.point) {
      // The accuracy the point keeps, as the CLI's CSV row does (`RunSummary::point`).
      const { test_accuracy } = data.summary.point;
      const { epochs, samples_per_sec } = data.summary;
      this.finish(slot, { test_accuracy, epochs, samples_per_sec });
      this.next(slot);
    } else if (data.type === 'error' && !data.fatal && slot.point) {
      this.finish(slot, null, data.message);
      this.next(slot);
    }
  }

  finish(slot, result, failure) {
    const q = slot.point.query;
    delete this.progress[q];
    if (result) {
      this.results[q] = result;
      save(this.key, this.results);
    } else this.failed[q] = failure;
    slot.point = null;
    this.onUpdate();
  }

  checkDone() {
    if (this.running && this.workers.length === 0) {
      this.running = false;
      this.onUpdate();
    }
  }

  cancel() {
    for (const s of this.workers) s.worker.terminate();
    this.workers = [];
    this.progress = {};
    this.queue = [];
    this.running = false;
  }

  /** Adds finished points from elsewhere (`{query: result}`), kept like trained ones. */
  add(points) {
    Object.assign(this.results, points);
    save(this.key, this.results);
    this.onUpdate();
  }

  clear() {
    this.cancel();
    this.results = {};
    save(this.key, this.results);
    this.onUpdate();
  }
}
