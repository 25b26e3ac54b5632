// The memorisation views of one run: what the network makes of right and wrong labels over
// training, the loss histogram behind co-teaching's small-loss trick, and forward correction's
// true and estimated transition matrices. The numbers come from the core's reports
// (src/core/evaluation.rs: Memorisation, LossHistogram).
import { paint, colorOf, heatCell } from './ui.js';

const $ = (id) => document.getElementById(id);

// Series in the core's palette order: right labels green, memorised red, true class blue.
// Short labels, so the legend takes two or three rows and leaves the chart its height; the
// panel's caption says what each share is ("memorised": predicted as the wrong label given).
const SHARES = [
  ['right labels: fitted', (m) => m.memorisation.right_fitted, 2, (m) => m.memorisation.right_labels > 0],
  ['wrong labels: memorised', (m) => m.memorisation.wrong_given, 3, (m) => m.memorisation.wrong_labels > 0],
  ['wrong labels: true class', (m) => m.memorisation.wrong_true, 0, (m) => m.memorisation.wrong_labels > 0],
  ['wrong labels: other class', (m) => m.memorisation.wrong_other, 7, (m) => m.memorisation.wrong_labels > 0],
  ['co-teaching: kept labels right', (m) => m.kept_precision, 4, (m) => m.kept_precision != null],
];

/** Draws the views for `run` (the one training, or the last one); clears them without one. */
export function renderMemorisation(run) {
  const history = run ? run.history : [];
  const curves = SHARES.map(([label, value, color, has]) => ({
    label,
    color: colorOf(color),
    points: history.filter(has).map((m) => [m.epoch, value(m)]),
  })).filter((c) => c.points.length);
  paint($('memorisation-chart'), 'What the network makes of its training labels', 'epoch', 'share of the sample', true, curves);

  const last = history.at(-1);
  const hist = [];
  if (last) {
    const { bin_width: w, right, wrong } = last.loss_histogram;
    const total = (counts) => counts.reduce((a, b) => a + b, 0) || 1;
    const bins = (counts) => counts.map((n, i) => [(i + 0.5) * w, n / total(counts)]);
    if (last.memorisation.right_labels) hist.push({ label: 'right labels', color: colorOf(2), points: bins(right) });
    if (last.memorisation.wrong_labels) hist.push({ label: 'wrong labels', color: colorOf(3), points: bins(wrong) });
    if (last.keep_threshold != null) {
      const top = Math.max(...hist.flatMap((c) => c.points.map((p) => p[1])));
      hist.push({ label: 'co-teaching keeps losses below', color: colorOf(4), points: [[last.keep_threshold, 0], [last.keep_threshold, top]] });
    }
  }
  paint($('loss-histogram'), last ? `Loss on the given label, epoch ${last.epoch.toFixed(2)}` : 'Loss on the given label', 'cross-entropy on the given label', 'share of the group', true, hist);
  $('memorisation-note').textContent = last ? note(last) : '';

  const summary = run && run.summary;
  $('transitions').hidden = !(summary && summary.transition_estimate);
  if (summary && summary.transition_estimate) {
    heatmap($('transition-true'), summary.transition);
    heatmap($('transition-estimate'), summary.transition_estimate);
  }
}

function note(m) {
  const pct = (v) => `${(v * 100).toFixed(1)}%`;
  const parts = [`Sample: ${m.memorisation.right_labels.toLocaleString('en')} right and ${m.memorisation.wrong_labels.toLocaleString('en')} wrong labels.`];
  if (m.estimating) parts.push('Forward correction: this is the plain first run that estimates T.');
  if (m.early_stop_epoch != null) parts.push(`Early stopping on a held-out noisy split would stop at epoch ${m.early_stop_epoch.toFixed(2)} (the cross on the main chart).`);
  if (m.kept_precision != null) parts.push(`Co-teaching keeps examples whose labels are right ${pct(m.kept_precision)} of the time.`);
  return parts.join(' ');
}

/** A 10x10 probability matrix as a heatmap table (rows: class, columns: label). */
function heatmap(table, matrix) {
  table.textContent = '';
  if (!matrix) return;
  const head = table.insertRow();
  head.append(Object.assign(document.createElement('th'), { innerHTML: '<span class="sr-only">class, then label</span>' }));
  for (let j = 0; j < 10; j++) head.append(Object.assign(document.createElement('th'), { textContent: j }));
  matrix.forEach((row, i) => {
    const tr = table.insertRow();
    tr.append(Object.assign(document.createElement('th'), { textContent: i }));
    row.forEach((p, j) => {
      const cell = tr.insertCell();
      cell.textContent = Math.round(p * 100);
      cell.title = `class ${i}, label ${j}: ${(p * 100).toFixed(1)}%`;
      heatCell(cell, colorOf(i === j ? 0 : 3), Math.min(1, p * 1.2));
    });
  });
}
