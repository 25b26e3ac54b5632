// The page: state (one config + the runs), URL round-trip, and the training worker.
import init, { parse_query, parse_change, duration, set_probe, Lab } from './pkg/label_noise_lab.js';
import { loadParams, toQuery, PARAMS } from './params.js';
import { CHAPTERS } from './chapters.js';
import { TrainingWorker } from './workers.js';
import { initFigures } from './figures.js';
import { buildControls, setControls, setStatus, showNotices, drawChart, renderRuns, colorOf, renderGallery, renderConfusion, renderCellExamples, enableHover, curvesFor } from './ui.js';
import { renderMemorisation } from './memorisation.js';
import { initDrawing } from './drawing.js';
import { renderTemplates } from './templates.js';

const $ = (id) => document.getElementById(id);
const url = new URLSearchParams(location.search);
const embed = url.get('embed') === '1';
// A teacher's shaping of an embed: controls to hide (their values stay in the URL) and `view=chart`.
const hidden = new Set((url.get('hide') || '').split(',').map((s) => s.trim()).filter(Boolean));
const view = url.get('view') === 'chart' ? 'chart' : '';
let autostart = url.get('autostart') === '1'; // once: not again after a Reset

let config = null;
let runs = [];
let current = null; // the run the worker is training
let worker = null;
let ready = false;
let paused = false;
let nextColor = 0;
let longestTask = 0;
let cost = null; // the estimate and verdict for `config` (from the core)
let confirmed = null; // the query of a long run the user chose to start anyway
let dataBroken = false; // some training images failed to stream in: Reset retries

let classifying = null; // the drawing pad's question to the worker, answered by 'classified'

/** The drawing pad asks the run's model (see drawing.js). */
function askDrawing(pixels) {
  if (!worker || !runs.length) return Promise.reject(new Error('Train a run first: then the network reads your digit.'));
  return new Promise((resolve, reject) => {
    classifying = { resolve, reject };
    worker.post({ type: 'classify', pixels });
  });
}

function askCell(actual, predicted) {
  worker?.post({ type: 'cell', actual, predicted });
}

function metric() {
  return $('metric').value;
}

function redraw() {
  drawChart(runs, metric());
  renderMemorisation(current || runs.at(-1));
  renderRuns(runs, (i) => {
    if (runs[i] === current) stopWorkerRun();
    runs.splice(i, 1);
    redraw();
  });
}

// Reports can arrive in bursts (a worker catching up after a busy moment): draw the charts and
// the confusion matrix once per frame, for the newest report only.
let reportFrame = 0;
let framedConfusion = null;
function drawReportsNextFrame(confusion) {
  framedConfusion = confusion;
  reportFrame ||= requestAnimationFrame(() => {
    reportFrame = 0;
    renderConfusion(framedConfusion, askCell);
    redraw();
  });
}

// A run that ends or is reset draws at once; a frame still pending would draw older reports.
function dropReportFrame() {
  cancelAnimationFrame(reportFrame);
  reportFrame = 0;
}

function applyQuery(query) {
  return apply(JSON.parse(parse_query(query)));
}

function apply(parsed) {
  config = parsed.config;
  cost = parsed;
  showNotices(parsed.notices);
  showEstimate(parsed);
  return parsed;
}

/** The page's own parameters for a link: hidden controls and the view, then `embed`. */
function pageQuery(hide, viewName, embedded) {
  return (hide.size ? `&hide=${[...hide].join(',')}` : '') + (viewName ? `&view=${viewName}` : '') + (embedded ? '&embed=1' : '');
}

function syncUrl() {
  try {
    history.replaceState(null, '', `?${toQuery(config)}${pageQuery(hidden, view, embed)}`);
  } catch {} // refused in a frame sandboxed without allow-same-origin; the link still works
  updateEmbed();
}

/** The embed builder: what to embed, which controls to hide, the snippet and a live preview. */
function updateEmbed() {
  const what = $('embed-what').value;
  const hide = new Set([...document.querySelectorAll('#embed-hide input:checked')].map((c) => c.value));
  const base = new URL('.', location.href).href;
  const chapter = what.startsWith('story:') ? what.slice(6) : null;
  const src = chapter ? `${base}story.html?section=${chapter}&embed=1` : `${location.origin}${location.pathname}?${toQuery(config)}${pageQuery(hide, what === 'chart' ? 'chart' : '', true)}`;
  const height = chapter ? 640 : what === 'chart' ? 560 : 900;
  $('embed-hide').disabled = !!chapter;
  $('iframe-snippet').value = `<iframe src="${src}" width="720" height="${height}" style="border:0" title="Label Noise Lab"></iframe>`;
  if ($('embed-builder').open && $('embed-preview').getAttribute('src') !== src) $('embed-preview').setAttribute('src', src);
}

function initEmbedBuilder() {
  for (const c of CHAPTERS) $('embed-what').append(new Option(`story: ${c.title}`, `story:${c.id}`));
  for (const p of PARAMS) {
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', value: p.name, id: `embed-hide-${p.name}` });
    const label = Object.assign(document.createElement('label'), { htmlFor: box.id, textContent: ` ${p.label}` });
    label.prepend(box);
    $('embed-hide').append(label);
  }
  $('embed-builder').addEventListener('toggle', updateEmbed);
  $('embed-builder').addEventListener('change', updateEmbed);
}

function onParamChange(name, value) {
  // Re-validate through the core so the page and the CLI agree on every range and default.
  const parsed = apply(JSON.parse(parse_change(toQuery(config), name, String(value))));
  setControls(config);
  syncUrl();
  return parsed;
}

function buttons() {
  const training = current && !paused && !current.done;
  $('play').disabled = !ready || training;
  $('pause').disabled = !training;
  $('step').disabled = !ready || training;
  $('play').textContent = current && paused && !current.done ? '▶ Resume' : '▶ Train';
}

function startWorker() {
  worker = new TrainingWorker(
    (data) => handlers[data.type](data),
    (message) => {
      // Fatal errors were already reported through the 'error' handler.
      ready = false;
      $('data-status').textContent = '';
      if ($('run-status').dataset.state !== 'error') failed(`${message[0].toUpperCase()}${message.slice(1)}. Press Reset to start again.`);
      buttons();
    },
  );
}

// This host's speed (the worker's probe: seconds per training step of the default model) scales
// the estimate, which was fitted on another machine. The last visit's probe is used until this
// one's arrives, so a returning reader's estimate does not jump. The worker probes twice, once
// the page is usable and once all of MNIST has arrived, and the faster counts: right after the
// page opens, the browser's optimising compiler can share the cores with the first probe
// (measured: one page in 8 probed 30% slow).
const PROBE_KEY = 'label-noise-lab:probe';
let fastestProbe = Infinity;
let probes = 0;
function useProbe(secsPerStep) {
  $('estimate').dataset.probes = ++probes;
  if (!(secsPerStep < fastestProbe)) return;
  fastestProbe = secsPerStep;
  $('estimate').dataset.probe = secsPerStep;
  set_probe(secsPerStep);
  try {
    localStorage.setItem(PROBE_KEY, String(secsPerStep));
  } catch {} // no storage in a sandboxed frame: the probe still applies to this visit
  if (config) showEstimate((cost = JSON.parse(parse_query(toQuery(config)))));
}

function failed(message) {
  if (current) current.done = true;
  current = null;
  paused = false;
  setStatus('error', message, '', 0);
  buttons();
}

let streamed = { trainLoaded: 0, totalTrain: 0 }; // MNIST training images arrived, of all

function showData({ trainLoaded, totalTrain }) {
  streamed = { trainLoaded, totalTrain };
  if (cost) showEstimate(cost);
  // Background streaming of the rest of MNIST, below the run's own progress.
  // Shown once the first training images are in, while the rest streams.
  $('data-status').textContent = trainLoaded > 0 && trainLoaded < totalTrain
    ? `MNIST training images loaded: ${trainLoaded.toLocaleString('en')} of ${totalTrain.toLocaleString('en')} (runs with up to ${trainLoaded.toLocaleString('en')} clean examples can start now)`
    : '';
}

/**
 * The run's pace over the last ~10 s of wall time: training samples per second end to end
 * (evaluation, slices and messages included; paused time is not) and the time left at that pace.
 */
function pace(run, samples) {
  const now = performance.now() / 1000;
  const marks = (run.marks ||= []);
  marks.push([now, samples]);
  while (marks.length > 2 && now - marks[0][0] > 10) marks.shift();
  const [t0, s0] = marks[0];
  if (marks.length < 3 || now - t0 < 0.5 || samples <= s0) return [];
  const rate = (samples - s0) / (now - t0);
  const s = Math.round((run.samplesTotal - samples) / rate);
  return [`${Math.round(rate).toLocaleString('en')} samples/s`, s >= 90 ? `${Math.round(s / 60)} min left` : `${s} s left`];
}

const handlers = {
  loading: (data) => {
    setStatus('loading', 'Loading MNIST…', `${Math.round(data.fraction * 100)}%`, data.fraction);
    showData(data);
  },
  data: (data) => {
    showData(data);
    if (data.trainLoaded === data.totalTrain) worker.post({ type: 'probe' });
    if (current?.waitingFor) handlers.waiting({ needed: current.waitingFor, loaded: data.trainLoaded });
  },
  dataError: ({ message }) => {
    dataBroken = true;
    $('data-status').textContent = `${message}. Runs that fit in the loaded images still work; press Reset to retry.`;
  },
  waiting: ({ needed, loaded }) => {
    if (current) current.waitingFor = needed;
    setStatus('training', `Waiting for data: this run needs the first ${needed.toLocaleString('en')} MNIST training images`, `${loaded.toLocaleString('en')} loaded`, loaded / needed);
  },
  ready: (data) => {
    showData(data);
    // Once the page is usable (a run pressed meanwhile starts after it, ~0.3-1 s).
    worker.post({ type: 'probe' });
    ready = true;
    setStatus('ready', 'Ready: press Train.', '', 0);
    buttons();
    if (autostart) {
      autostart = false;
      play();
    }
  },
  started: ({ info, gallery }) => {
    // Page open to first training step (the benchmark reads it once).
    document.body.dataset.firstStepMs ||= Math.round(performance.now());
    current.label = info.label;
    current.samplesTotal = info.samples;
    current.epochsTotal = info.epochs;
    current.marks = [];
    current.waitingFor = 0;
    renderGallery(gallery);
    setStatus('training', `Training ${info.label}`, `${info.train_examples.toLocaleString()} examples`, 0);
    redraw();
  },
  reports: ({ reports, progress, samples }) => {
    if (!current) return;
    current.history.push(...reports);
    // Estimated forward correction trains twice: a plain run, then the corrected one.
    const epochs = current.epochsTotal || current.config.epochs;
    const epoch = (progress * epochs).toFixed(2);
    setStatus('training', `Training ${current.label}`, [`epoch ${epoch} / ${epochs}`, ...pace(current, samples)].join(' · '), progress);
    const last = current.history[current.history.length - 1];
    // The status carries the latest evaluation on the whole test set, not a quick point's.
    const full = reports.filter((m) => m.eval === 'full').at(-1);
    if (full) $('run-status').dataset.testAccuracy = full.test_accuracy;
    if (reports.length) drawReportsNextFrame(last.confusion);
  },
  templates: ({ weights }) => renderTemplates(weights, (current || runs.at(-1))?.config.model),
  classified: ({ probabilities, error }) => {
    const waiting = classifying;
    classifying = null;
    if (waiting) error ? waiting.reject(new Error(error)) : waiting.resolve(probabilities);
  },
  cell: ({ actual, predicted, images, error }) => renderCellExamples(actual, predicted, images, error),
  paused: () => {
    paused = true;
    if (current) {
      current.marks = []; // the pause is not part of the pace
      current.busyMs += performance.now() - current.resumedAt;
      current.resumedAt = 0;
    }
    setStatus('ready', `Paused: ${current ? current.label : ''}`, $('status-detail').textContent);
    buttons();
  },
  done: ({ summary }) => {
    dropReportFrame();
    current.done = true;
    current.summary = summary;
    renderConfusion(summary.confusion, askCell);
    $('run-status').dataset.testAccuracy = summary.test_accuracy;
    // What a reproducibility check compares (the same run natively, or after a reload).
    Object.assign($('run-status').dataset, { trainingSet: summary.fingerprints.training_set, initialWeights: summary.fingerprints.initial_weights, finalWeights: summary.fingerprints.final_weights });
    // Train to Done in wall time, paused time excluded: what the estimate promised.
    const wall = current.busyMs + (current.resumedAt ? performance.now() - current.resumedAt : 0);
    Object.assign($('run-status').dataset, { wallMs: Math.round(wall), samples: current.samplesTotal });
    setStatus('done', `Done: ${(summary.test_accuracy * 100).toFixed(2)}% clean test accuracy`, `${current.label} · ${duration(wall / 1000)}`, 1);
    current = null;
    paused = false;
    buttons();
    redraw();
  },
  error: ({ message }) => failed(`Training failed: ${message}. Press Reset to start again.`),
  speed: ({ secsPerStep }) => useProbe(secsPerStep),
};

function showEstimate({ estimate, time, speed }) {
  // The estimate is for the run itself; if it needs images still streaming in, it waits for them first.
  const { trainLoaded, totalTrain } = streamed;
  const waits = totalTrain > 0 && Lab.train_images_needed(toQuery(config), totalTrain) > trainLoaded;
  $('estimate').textContent = `${estimate.train_examples.toLocaleString('en')} examples · est. ${time}${waits ? ' once the data has arrived' : ''}, ${Math.round(estimate.memory_mb)} MB`;
  // Seconds from Train to Done with the data loaded (the benchmark compares it with the wall time).
  $('estimate').dataset.seconds = estimate.seconds.toFixed(2);
  $('estimate').dataset.speed = speed.toFixed(3);
  $('estimate').title = `For this device's speed, measured by the training worker after the page opened: ${Math.round(speed * 100)}% of the machine the estimate was fitted on.`;
}

/** Whether a new run of `config` may start: refused or, once, warned about by its estimate. */
function mayStart() {
  const { verdict, message } = cost.verdict;
  if (verdict === 'refuse') {
    setStatus('ready', `Not started: ${message}.`, '', 0);
    return false;
  }
  if (verdict === 'warn' && confirmed !== toQuery(config)) {
    confirmed = toQuery(config);
    setStatus('ready', `Heads up: ${message}. Press Train again to start it anyway.`, '', 0);
    return false;
  }
  return true;
}

function play(oneEpoch = false) {
  if (!(current && paused) && !mayStart()) return;
  if (current && paused) {
    paused = false;
    current.resumedAt = performance.now();
    worker.post({ type: 'resume', oneEpoch });
  } else {
    current = { config: { ...config }, label: 'starting…', color: colorOf(nextColor++), history: [], busyMs: 0, resumedAt: performance.now() };
    runs.push(current);
    paused = false;
    worker.post({ type: 'start', query: toQuery(config), oneEpoch });
  }
  setStatus('training', `Training…`, '', null);
  buttons();
}

function stopWorkerRun() {
  if (worker) worker.post({ type: 'stop' });
  dropReportFrame();
  current = null;
  paused = false;
}

function reset() {
  stopWorkerRun();
  runs = [];
  renderConfusion(null);
  renderTemplates(null, null);
  $('cell-examples').textContent = '';
  $('gallery').textContent = '';
  delete $('run-status').dataset.testAccuracy;
  if (!worker || dataBroken || $('run-status').dataset.state === 'error') {
    if (worker) worker.terminate();
    ready = false;
    dataBroken = false;
    $('data-status').textContent = '';
    setStatus('loading', 'Loading MNIST…', '', 0);
    startWorker();
  } else {
    setStatus('ready', 'Ready: press Train.', '', 0);
  }
  buttons();
  redraw();
}

function watchLongTasks() {
  // The page stays responsive: record the longest main-thread task (tests read it).
  if (!('PerformanceObserver' in window)) return;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longestTask = Math.max(longestTask, e.duration);
      document.body.dataset.longestTask = Math.round(longestTask);
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
}

function exportCsv() {
  const rows = ['run,epoch,step,test_accuracy,train_accuracy,noisy_true_accuracy,loss,samples_per_sec'];
  for (const r of runs) for (const m of r.history) rows.push([JSON.stringify(r.label), m.epoch, m.step, m.test_accuracy, m.train_accuracy, m.noisy_true_accuracy ?? '', m.loss, m.samples_per_sec].join(','));
  download('label-noise-lab.csv', URL.createObjectURL(new Blob([rows.join('\n')], { type: 'text/csv' })));
}

function download(name, href) {
  const a = document.createElement('a');
  Object.assign(a, { href, download: name });
  a.click();
}

async function main() {
  if (embed) document.body.classList.add('embed');
  if (view) document.body.classList.add(`view-${view}`);
  setStatus('loading', 'Loading MNIST…', '', 0);
  await init();
  loadParams();
  try {
    const stored = Number(localStorage.getItem(PROBE_KEY));
    if (stored > 0) set_probe(stored);
  } catch {}
  applyQuery(location.search);
  const unknown = [...hidden].filter((name) => !PARAMS.some((p) => p.name === name));
  if (unknown.length) showNotices([...cost.notices, `hide: no control named ${unknown.join(', ')} (ignored)`]);
  buildControls(config, onParamChange, hidden);
  initEmbedBuilder();
  syncUrl();
  $('play').addEventListener('click', () => play(false));
  $('step').addEventListener('click', () => play(true));
  $('pause').addEventListener('click', () => worker.post({ type: 'pause' }));
  $('reset').addEventListener('click', reset);
  $('metric').addEventListener('change', redraw);
  $('copy-link').addEventListener('click', () => navigator.clipboard?.writeText(location.href).catch(() => {}));
  $('export-csv').addEventListener('click', exportCsv);
  $('export-png').addEventListener('click', () => download('label-noise-lab.png', $('chart').toDataURL('image/png')));
  window.addEventListener('resize', redraw);
  watchLongTasks();
  // Offline after the first visit; not available in sandboxed frames without same-origin.
  try {
    navigator.serviceWorker?.register('sw.js').catch(() => {});
  } catch {} // reading navigator.serviceWorker throws in an opaque origin
  buttons();
  startWorker();
  // The rest of start-up in later tasks: the page paints and answers input between them (as one
  // task it took ~200 ms on two busy cores, the page frozen meanwhile).
  await nextTask();
  redraw();
  await nextTask();
  enableHover(() => curvesFor(runs, metric()));
  initDrawing(askDrawing);
  await nextTask();
  if (!embed) initFigures();
}

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

main().catch((e) => setStatus('error', `The lab could not start: ${e.message}`));
