// The paper's figures, one click each: a preset sweep trained in parallel workers, drawn as a
// summary chart with the paper's points beside ours.
import { import_csv, preset, sweep_checks, sweep_curves } from './pkg/label_noise_lab.js';
import { Sweep } from './sweep.js';
import { paint } from './ui.js';

const $ = (id) => document.getElementById(id);
let sweep = null;
let painted = ''; // what the chart shows: preset, finished points, width

// A figure of at most this many points lists them all; a larger one folds them by series (the
// full uniform figure has 165), each series a line saying how many are finished.
const FEW_POINTS = 30;
let chips = []; // per series: its <details>, <summary>, the reader's choice, and its points' <li>s
// The lab's full-scale results per figure (CSV text, or null where there are none): a quick
// figure's checks are set beside the same checks on them, as in REPRODUCTION-quick.md.
const fullScale = {};

function choose() {
  if (sweep) sweep.cancel();
  const spec = JSON.parse(preset($('figure-preset').value, $('figure-scale').value, Number($('figure-seeds').value)));
  sweep = new Sweep(spec, $('figure-scale').value, render);
  painted = '';
  buildChips(spec);
  render();
  if ($('figure-scale').value === 'quick') loadFullScale(spec.name);
}

/** Fetches figure `name`'s full-scale results once, and redraws its checks when they arrive
 *  while it is shown (none: a figure without them, or offline before a first visit). */
function loadFullScale(name) {
  if (name in fullScale) return;
  fullScale[name] = null;
  fetch(`data/full-scale/${name}-full.csv`)
    .then((response) => (response.ok ? response.text() : null))
    .catch(() => null)
    .then((csv) => {
      fullScale[name] = csv;
      if (csv && sweep.spec.name === name) {
        painted = '';
        render();
      }
    });
}

/** The point list, built once a figure: render() updates it in place (a rebuild per progress message would drop the keyboard focus). */
function buildChips(spec) {
  const list = $('figure-points');
  list.textContent = '';
  chips = spec.series.map((series) => {
    const item = document.createElement('li');
    item.className = 'series';
    const details = document.createElement('details');
    const summary = document.createElement('summary');
    const points = document.createElement('ul');
    details.append(summary, points);
    item.append(details);
    list.append(item);
    const group = { label: series.label, details, summary, list: points, points: [], wish: undefined };
    // Click (mouse, Enter or Space) is the reader's choice; the toggles render() makes are not.
    summary.addEventListener('click', () => {
      group.wish = !details.open;
    });
    return group;
  });
  for (const point of spec.points) {
    const li = document.createElement('li');
    chips[point.series].list.append(li);
    chips[point.series].points.push({ li, point });
  }
}

function render() {
  const { spec } = sweep;
  const total = spec.points.length;
  const done = spec.points.filter((p) => sweep.results[p.query]).length;
  const failed = Object.keys(sweep.failed).length;
  const state = sweep.running ? 'running' : done === total ? 'done' : 'idle';
  Object.assign($('sweep-status').dataset, { state, done, total, failed });
  $('sweep-status').textContent = sweep.running
    ? `Training: ${done} of ${total} points finished, ${sweep.workers.length} workers busy`
    : `${done} of ${total} points finished${failed ? `, ${failed} failed (Run retries them)` : ''}${done === total ? '' : ' · finished points are kept if you reload'}`;
  const markers = spec.series.some((s) => s.paper) ? ' Paper points (triangles) are read off the published figures, about ±0.3 points.' : '';
  $('figure-note').textContent = `${spec.note}.${markers}`;
  $('figure-run').disabled = sweep.running || done === total;
  $('figure-cancel').disabled = !sweep.running;
  $('figure-clear').disabled = sweep.running || done === 0;

  for (const group of chips) {
    const counts = { done: 0, running: 0, failed: 0 };
    for (const { li, point: p } of group.points) {
      const result = sweep.results[p.query];
      const progress = sweep.progress[p.query];
      const failure = sweep.failed[p.query];
      li.className = result ? 'done' : failure ? 'failed' : progress !== undefined ? 'running' : 'waiting';
      if (li.className in counts) counts[li.className]++;
      li.title = failure || p.label;
      const name = `${spec.series[p.series].label} · ${spec.axis}=${p.x}${spec.seeds > 1 ? ` · seed ${p.seed}` : ''}`;
      li.textContent = result ? `${name}: ${(result.test_accuracy * 100).toFixed(1)}%${result.imported ? ' (imported)' : ''}` : progress !== undefined ? `${name}: ${Math.round(progress * 100)}%` : failure ? `${name}: failed` : name;
      li.style.setProperty('--progress', progress !== undefined ? `${Math.round(progress * 100)}%` : '0%');
    }
    group.summary.textContent = `${group.label}: ${counts.done} of ${group.points.length} finished${counts.running ? `, ${counts.running} training` : ''}${counts.failed ? `, ${counts.failed} failed` : ''}`;
    // A series the reader has not opened or closed shows its points while one of them trains or
    // has failed; a figure of a few points shows them all.
    group.details.open = group.wish ?? (spec.points.length <= FEW_POINTS || counts.running + counts.failed > 0);
  }
  // The chart changes only when a point finishes: progress messages (every slice of every
  // worker) must not redraw it, or the page's thread competes with the workers for the cores.
  const drawn = `${spec.name}:${done}:${$('figure-chart').clientWidth}`;
  if (drawn === painted) return;
  painted = drawn;
  const xs = spec.points.map((p) => p.x);
  // The core makes the curves (the mean over the seeds, bars from lowest to highest), as for the SVG.
  const finished = spec.points.filter((p) => sweep.results[p.query]).map((p) => ({ series: spec.series[p.series].label, x: p.x, seed: p.seed, test_accuracy: sweep.results[p.query].test_accuracy }));
  const points = JSON.stringify(finished);
  const curves = JSON.parse(sweep_curves(spec.name, $('figure-scale').value, points));
  paint($('figure-chart'), spec.title, spec.axis, 'clean test accuracy', true, curves, [Math.min(...xs), Math.max(...xs)]);
  const scale = $('figure-scale').value;
  showChecks(JSON.parse(sweep_checks(spec.name, scale, spec.seeds, points, scale === 'quick' ? fullScale[spec.name] : null)), spec.seeds);
}

/** A list of checks, each with its outcome word styled by class. */
function listChecks(list, checks) {
  list.replaceChildren(
    ...checks.map(({ text, mark }) => {
      const li = document.createElement('li');
      const outcome = document.createElement('span');
      outcome.className = `mark ${mark.replace(/ /g, '-')}`;
      outcome.textContent = mark;
      li.append(`${text}: `, outcome);
      return li;
    }),
  );
}

/** The paper's claim and its checks on the finished points, computed by the core as in REPRODUCTION.md. */
function showChecks({ claim, verdict, details, checks, agreement, as_full: asFull }, seeds) {
  $('figure-checks').dataset.verdict = verdict;
  $('figure-claim').textContent = `The paper's claim: ${claim}.`;
  const strong = document.createElement('strong');
  strong.textContent = `Verdict on these points: ${verdict}`;
  // One seed a point can tip a close comparison either way: say so where it is the case.
  const few = seeds < 3 ? ` ${seeds === 1 ? 'One seed' : 'Two seeds'} a point: choose 3 seeds to see the spread a verdict should rest on.` : '';
  $('figure-verdict').replaceChildren(strong, ` (${details}).${few}`);
  listChecks($('figure-check-list'), checks);
  // The quick scale trains on less (a smaller clean set, fewer epochs), so it cannot match the
  // paper's numbers; what it should give is the orderings of the lab's full-scale run.
  $('figure-full').hidden = $('figure-full-list').hidden = asFull.length === 0;
  $('figure-full').textContent = `The same checks on the lab's full-scale results (REPRODUCTION.md), whose orderings a quick figure should give (${agreement}):`;
  listChecks($('figure-full-list'), asFull);
}

/** Fills the figures panel; `names` are the presets the core knows. */
export function initFigures() {
  const names = JSON.parse(preset('uniform', 'quick')).presets;
  // Every figure has three seeds; the quick scale starts with one, for a class's minutes.
  const seedsFor = () => ($('figure-scale').value === 'full' ? 3 : 1);
  $('figure-seeds').value = seedsFor();
  for (const n of names) $('figure-preset').append(new Option(n, n));
  $('figure-workers').value = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4));
  $('figure-preset').addEventListener('change', choose);
  $('figure-scale').addEventListener('change', () => {
    $('figure-seeds').value = seedsFor();
    choose();
  });
  $('figure-seeds').addEventListener('change', choose);
  $('figure-run').addEventListener('click', () => {
    const k = Math.max(1, Math.min(16, Math.round(Number($('figure-workers').value)) || 1));
    $('figure-workers').value = k;
    sweep.start(k);
  });
  $('figure-cancel').addEventListener('click', () => {
    sweep.cancel();
    render();
  });
  $('figure-clear').addEventListener('click', () => sweep.clear());
  // Results trained elsewhere (`label-noise-lab sweep`, a cluster's shards merged) shown beside the paper.
  $('figure-import').addEventListener('change', async () => {
    const file = $('figure-import').files[0];
    if (!file) return;
    const status = $('figure-import-status');
    try {
      const found = JSON.parse(import_csv($('figure-preset').value, $('figure-scale').value, Number($('figure-seeds').value), await file.text()));
      const count = Object.keys(found.points).length;
      sweep.add(found.points);
      status.textContent = `${file.name}: ${count} point${count === 1 ? '' : 's'} of this figure imported${found.strays ? `, ${found.strays} row${found.strays === 1 ? '' : 's'} of other points left out (another figure, scale, grid or seed)` : ''}.`;
    } catch (e) {
      status.textContent = `${file.name}: not imported: ${e.message || e}`;
    }
    status.dataset.state = status.textContent.includes('not imported') ? 'error' : 'done';
    $('figure-import').value = '';
  });
  window.addEventListener('resize', () => sweep && render());
  choose();
}
