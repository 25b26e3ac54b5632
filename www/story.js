// The guided story: the paper's argument in six sections, each a mini-lab (one chart, one or two
// controls) trained in one shared worker, one run at a time. The paper's points come from the
// core (the figure presets' reference series); the text is here, the maths in the wasm core.
import init, { preset, story_sections, full_scale_spreads } from './pkg/label_noise_lab.js';
import { TrainingWorker } from './workers.js';
import { paint, colorOf } from './ui.js';
import { CHAPTERS } from './chapters.js';

const $ = (id) => document.getElementById(id);
const url = new URLSearchParams(location.search);

// What each section says. Its control and the run behind each of its values come from the core
// (`experiments::story`, where a native test checks that the runs show what the text says);
// `x`: the chart's axis; `paper(p)`: the paper's points, from a figure preset's reference series;
// `full(f)`: the lab's own full-scale runs of the same network and noise, where it has them
// (`[x, mean, min, max, seeds]`), which show that the gap to the paper is the quick scale.
const LABS = {
  baseline: {
    text: 'First, no noise at all: a two-layer network learns to read handwritten digits from 10,000 labelled examples. Watch the accuracy on 10,000 test images it never saw rise as it trains.',
    x: 'epoch',
    paper: (p) => p.uniform('mlp2').filter(([a]) => a === 0).map(([, y]) => [5, y]),
    full: (f) => f('uniform', 'mlp2').filter(([a]) => a === 0).map(([, ...y]) => [5, ...y]),
  },
  uniform: {
    text: 'Now add noise. For every clean example, add alpha copies of training images with a label drawn at random. At alpha = 50 only one label in 51 is sure to be right, and the right one is ahead of each wrong one by a whisker. Before you run it: how accurate do you think the network will be?',
    guess: true,
    x: 'alpha',
    paper: (p) => p.uniform('mlp2'),
    full: (f) => f('uniform', 'mlp2'),
  },
  depth: {
    text: 'The paper found that deeper networks are more robust. Train a perceptron (no hidden layer) and MLPs with 1, 2 and 4 hidden layers on the same noisy set (alpha = 20), each for two epochs. Each hidden layer adds less than the one before: from two to four the gain is under a point (in the paper too), less than another seed changes.',
    x: 'model',
    paper: (p) => ['perceptron', 'mlp1', 'mlp2', 'mlp4'].flatMap((m, i) => p.uniform(m).filter(([a]) => a === 20).map(([, y]) => [i, y])),
    full: (f) => ['perceptron', 'mlp1', 'mlp2', 'mlp4'].flatMap((m, i) => f('uniform', m).filter(([a]) => a === 20).map(([, ...y]) => [i, ...y])),
  },
  structured: {
    text: 'Random wrong labels cancel out. Real annotators confuse particular classes (a 4 for a 9). With structured noise the wrong labels favour the most confusable classes; delta says how much. At delta = 1 the favourite wrong label is as common as the right one. (The paper shows this on a conv net without numbers we could read: no triangles here.)',
    x: 'delta',
    paper: () => [],
    full: (f) => f('structured', 'confusion'),
  },
  'clean-size': {
    text: 'How many clean examples does it take? With alpha = 20 noisy examples per clean one, train on more or fewer clean examples (the noisy ones scale with them).',
    x: 'clean',
    paper: (p) => p.series('clean-size', 'alpha=20'),
  },
  batch: {
    text: 'Noise averages out within a batch: larger batches see more clean labels per step. Compare batch sizes at alpha = 20 (with a learning rate of 0.001, where the noise in each step shows), then H_alpha, the "infinite batch": each clean image trained against the average of its clean and noisy labels. From 32 to 128 the gain is large; from 128 to 512 it is smaller than what another seed changes.',
    x: 'batch',
    paper: (p) => [32, 128, 512, 'H_alpha'].flatMap((b, i) => p.series('batch-size', b === 'H_alpha' ? 'H_alpha' : `batch ${b}`).filter(([a]) => a === 20).map(([, y]) => [i, y])),
  },
};

/** The paper's reference points, read through the core's figure presets. */
function paperPoints() {
  const cache = {};
  const figure = (name) => (cache[name] ||= JSON.parse(preset(name, 'full', 1)));
  const series = (name, label) => (figure(name).series.find((s) => s.label === label)?.paper || []).map(([x, y]) => [x, y]);
  return { series, uniform: (model) => series('uniform', model) };
}

/** The lab's full-scale results (the CSVs the figure panel reads too), fetched once; `onLoad`
 *  redraws. `series(name, label)`: `[x, mean, min, max, seeds]` per point, none until loaded or offline
 *  before a first visit. */
function fullScale(onLoad) {
  const loaded = {};
  for (const name of ['uniform', 'structured']) {
    fetch(`data/full-scale/${name}-full.csv`)
      .then((response) => (response.ok ? response.text() : null))
      .then((csv) => {
        if (!csv) return;
        loaded[name] = JSON.parse(full_scale_spreads(name, csv));
        onLoad();
      })
      .catch(() => {}); // the chart goes without them
  }
  return (name, label) => (loaded[name] || []).filter((s) => s.series === label).map((s) => [s.x, s.mean, s.min, s.max, s.runs]);
}

/** What "the lab at full scale" is, under a chart that shows it; `seeds`: the fewest seeds of its points. */
const fullScaleNote = (seeds) =>
  `The lab at full scale: the same network and noise at the paper's size (60,000 clean examples, trained to the end with the lab's recipe), the mean of ${seeds} seed${seeds > 1 ? 's' : ''} with bars from the lowest to the highest. REPRODUCTION.md has them all.`;

// One worker for the whole story; runs queue.
let worker = null;
let ready = false;
const queue = [];
let active = null;

function startWorker() {
  worker = new TrainingWorker(
    (data) => {
      if (data.type === 'ready') {
        ready = true;
        setStory('ready', 'Ready: each section trains when you press its button.');
        next();
      } else if (data.type === 'loading') setStory('loading', `Loading MNIST… ${Math.round(data.fraction * 100)}%`);
      else if (active) active.on(data);
    },
    (message) => {
      setStory('error', `The training worker stopped: ${message}. Reload the page to start again.`);
      if (active) active.fail(message);
    },
  );
}

function setStory(state, text) {
  $('story-status').dataset.state = state;
  $('story-status').textContent = text;
}

function next() {
  if (!ready || active || !queue.length) return;
  active = queue.shift();
  worker.post({ type: 'start', query: active.query });
}

/** Trains the run of URL query `query`; `onReport(metrics)` per report; resolves with the final test accuracy. */
function train(query, onReport) {
  return new Promise((resolve, reject) => {
    const job = {
      query,
      on: (data) => {
        if (data.type === 'reports') data.reports.forEach(onReport);
        else if (data.type === 'done') finish(() => resolve(data.summary.test_accuracy));
        else if (data.type === 'error') finish(() => reject(new Error(data.message)));
      },
      fail: (message) => finish(() => reject(new Error(message))),
    };
    const finish = (f) => {
      active = null;
      f();
      next();
    };
    queue.push(job);
    next();
  });
}

function buildChapter({ id, title }, paper, fullSeries, { control, runs }) {
  const lab = { ...LABS[id], control };
  const section = document.createElement('section');
  section.className = 'chapter';
  section.id = id;
  section.innerHTML = `<h2><a href="#${id}">${title}</a></h2><p></p>
    <div class="mini-lab" data-state="idle">
      <div class="mini-controls"></div>
      <canvas class="mini-chart" role="img"></canvas>
      <p class="mini-result" aria-live="polite"></p>
      <p class="mini-note"></p>
    </div>`;
  section.querySelector('p').textContent = lab.text;
  const box = section.querySelector('.mini-lab');
  const controls = box.querySelector('.mini-controls');
  const canvas = box.querySelector('canvas');
  canvas.id = `${id}-chart`;
  canvas.setAttribute('aria-label', `${title}: chart of test accuracy against ${lab.x} (its points are in the table that follows)`);
  const result = box.querySelector('.mini-result');
  const ours = new Map(); // x -> accuracy (or, for the baseline, the live curve)
  let live = [];
  let guess = null;
  let select = null;
  if (lab.control) {
    const label = Object.assign(document.createElement('label'), { textContent: `${lab.control.name} ` });
    select = document.createElement('select');
    select.id = `${id}-${lab.control.name}`;
    for (const v of lab.control.values) select.append(new Option(v, v));
    select.value = lab.control.value;
    label.append(select);
    controls.append(label);
  }
  if (lab.guess) {
    const label = Object.assign(document.createElement('label'), { textContent: 'Your guess at alpha = 50: ' });
    const input = Object.assign(document.createElement('input'), { type: 'range', min: 0, max: 100, step: 1, value: 30, id: `${id}-guess` });
    const out = Object.assign(document.createElement('output'), { textContent: '30%' });
    input.addEventListener('input', () => (out.textContent = `${input.value}%`));
    const lock = Object.assign(document.createElement('button'), { textContent: 'Lock in my guess', id: `${id}-lock` });
    lock.addEventListener('click', () => {
      guess = Number(input.value) / 100;
      box.dataset.guess = guess;
      input.disabled = lock.disabled = true;
      runButton.disabled = false;
      result.textContent = `You guessed ${input.value}% at alpha = 50. Now run it.`;
      draw();
    });
    label.append(input, out);
    controls.append(label, lock);
    result.textContent = "Lock in your guess to see the paper's results and the lab's.";
  }
  const runButton = Object.assign(document.createElement('button'), { textContent: '▶ Run', className: 'primary', id: `${id}-run` });
  runButton.disabled = !!lab.guess;
  controls.append(runButton);

  const categorical = lab.x === 'model' || lab.x === 'batch';
  const xOf = (v) => (categorical ? lab.control.values.indexOf(v) : Number(v));
  const paperCurve = lab.paper(paper);
  function draw() {
    const points = [...ours.entries()].sort((a, b) => a[0] - b[0]);
    // Predict, then see: a section that asks for a guess shows no reference points before it.
    const revealed = !lab.guess || guess !== null;
    const fullCurve = revealed && lab.full ? lab.full(fullSeries) : [];
    box.querySelector('.mini-note').textContent = fullCurve.length ? fullScaleNote(Math.min(...fullCurve.map((p) => p[4]))) : '';
    const curves = [
      { label: 'your runs', color: colorOf(0), points: lab.x === 'epoch' ? live : points },
      ...(fullCurve.length ? [{ label: 'the lab at full scale', color: colorOf(2), points: fullCurve.map(([x, mean]) => [x, mean]), bars: fullCurve.map(([x, , min, max]) => [x, min, max]) }] : []),
      ...(revealed && paperCurve.length ? [{ label: 'the paper', color: colorOf(1), paper: true, points: paperCurve }] : []),
      ...(guess !== null ? [{ label: 'your guess', color: colorOf(3), marker: true, points: [[50, guess]] }] : []),
    ].filter((c) => c.points.length);
    const values = lab.control ? lab.control.values.map(xOf) : [0, 5];
    paint(canvas, title.replace(/^\d\. /, ''), lab.x, 'clean test accuracy', true, curves, [Math.min(...values), Math.max(...values)], categorical ? lab.control.values : undefined);
  }
  runButton.addEventListener('click', async () => {
    const v = select ? select.value : null;
    box.dataset.state = 'running';
    runButton.disabled = true;
    live = [];
    result.textContent = 'Training…';
    try {
      const accuracy = await train(runs[select ? lab.control.values.indexOf(v) : 0], (m) => {
        if (lab.x === 'epoch') live.push([m.epoch, m.test_accuracy]);
        result.textContent = `Training… epoch ${m.epoch.toFixed(2)}: ${(m.test_accuracy * 100).toFixed(1)}% so far`;
        draw();
      });
      if (lab.x !== 'epoch') ours.set(xOf(v), accuracy);
      box.dataset.state = 'done';
      box.dataset.accuracy = accuracy;
      const said = `${(accuracy * 100).toFixed(1)}% of the test digits right${v !== null ? ` at ${lab.control.name} = ${v}` : ''}.`;
      result.textContent = guess !== null && v === '50' ? `You guessed ${(guess * 100).toFixed(0)}%; the network got ${(accuracy * 100).toFixed(1)}% (chance is 10%).` : said;
    } catch (e) {
      box.dataset.state = 'error';
      result.textContent = `This run failed: ${e.message}`;
    }
    runButton.disabled = false;
    draw();
  });
  section.draw = draw; // drawn once the section is on the page (a detached canvas has no size)
  return section;
}

async function main() {
  await init();
  const only = url.get('section');
  if (url.get('embed') === '1') document.body.classList.add('embed');
  const paper = paperPoints();
  const drawAll = () => [...$('chapters').children].forEach((section) => section.draw());
  const fullSeries = fullScale(drawAll);
  const sections = Object.fromEntries(JSON.parse(story_sections()).map((s) => [s.id, s]));
  for (const chapter of CHAPTERS) {
    if (only && chapter.id !== only) continue;
    $('chapters').append(buildChapter(chapter, paper, fullSeries, sections[chapter.id]));
  }
  drawAll();
  window.addEventListener('resize', drawAll);
  if (only && !$('chapters').children.length) setStory('error', `There is no section "${only}"; the sections are ${CHAPTERS.map((c) => c.id).join(', ')}.`);
  startWorker();
}

main().catch((e) => setStory('error', `The story could not start: ${e.message}`));
