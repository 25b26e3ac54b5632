// DOM rendering: the controls built from the parameter table, the chart, the run list.
import { PARAMS } from './params.js';
import { draw_chart, palette } from './pkg/label_noise_lab.js';

// The core's palette (src/experiments/chart.rs), read once the wasm is initialised.
let PALETTE = null;
export const colorOf = (i) => {
  PALETTE ||= JSON.parse(palette());
  return PALETTE[i % PALETTE.length];
};

const $ = (id) => document.getElementById(id);

/** A heatmap cell's colour `rgb` at `alpha` over white, with the text colour (black or white)
 * that contrasts more with it (WCAG relative luminance). Black, not near-black: the better of
 * black and white is at least 4.58:1 on any background, AA's 4.5; with #111 a mid shade gets 4.35. */
export function heatCell(cell, [r, g, b], alpha) {
  const over = (c) => 255 + (c - 255) * alpha;
  const lin = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const L = 0.2126 * lin(over(r)) + 0.7152 * lin(over(g)) + 0.0722 * lin(over(b));
  cell.style.background = `rgba(${r},${g},${b},${alpha})`;
  cell.style.color = 1.05 / (L + 0.05) > (L + 0.05) / 0.05 ? '#fff' : '#000';
}
let mapping = null; // the lab chart's pixel mapping, for hovering

function format(p, v) {
  if (p.input === 'checkbox') return v ? 'on' : 'off';
  return String(v);
}

/** Builds one row per parameter; `onChange(name, value)` fires on user edits. Rows named in
 * `hidden` are hidden (an embed's `hide=`); they keep their values. */
export function buildControls(config, onChange, hidden = new Set()) {
  const root = $('controls');
  root.textContent = '';
  const groups = {};
  for (const p of PARAMS) {
    if (!groups[p.group]) {
      const fs = document.createElement('fieldset');
      const legend = document.createElement('legend');
      legend.textContent = p.group;
      fs.append(legend);
      root.append(fs);
      groups[p.group] = fs;
    }
    const row = document.createElement('div');
    row.className = 'control' + (p.advanced ? ' advanced' : '');
    row.dataset.param = p.name;
    row.hidden = hidden.has(p.name);
    const label = document.createElement('label');
    label.textContent = p.label;
    label.htmlFor = `param-${p.name}`;
    let input;
    label.title = p.help;
    if (p.input === 'select') {
      input = document.createElement('select');
      for (const c of p.choices) input.append(new Option(c, c));
    } else {
      input = document.createElement('input');
      input.type = p.input;
      if (p.input !== 'checkbox') Object.assign(input, { min: p.min, max: p.max, step: p.step });
    }
    input.id = `param-${p.name}`;
    input.name = p.name;
    const out = document.createElement('output');
    const read = () => (p.input === 'checkbox' ? input.checked : p.input === 'select' ? input.value : Number(input.value));
    input.addEventListener('input', () => {
      out.textContent = format(p, read());
      onChange(p.name, read());
    });
    row.append(label, input, out);
    groups[p.group].append(row);
  }
  setControls(config);
}

/** Shows `config` in the controls and disables those that do not apply. */
export function setControls(config) {
  for (const p of PARAMS) {
    const row = document.querySelector(`.control[data-param="${p.name}"]`);
    const input = row.querySelector('input, select');
    const v = config[p.name];
    if (p.input === 'checkbox') input.checked = !!v;
    else input.value = v;
    row.querySelector('output').textContent = format(p, v);
    const applies = !p.when || p.when(config);
    input.disabled = !applies;
    row.classList.toggle('disabled', !applies);
    row.title = applies ? '' : p.why;
  }
}

export function setStatus(state, text, detail = '', progress = null) {
  const status = $('run-status');
  status.dataset.state = state;
  $('status-text').textContent = text;
  $('status-detail').textContent = detail;
  if (progress !== null) $('progress').style.width = `${Math.round(progress * 100)}%`;
}

export function showNotices(notices) {
  const box = $('notices');
  box.textContent = '';
  for (const n of notices) {
    const p = document.createElement('p');
    p.textContent = n; // never innerHTML: notices quote the URL
    box.append(p);
  }
}

// The metrics the lab's chart can show; all but the loss are fractions, shown as percentages.
const METRICS = {
  test_accuracy: { label: 'clean test accuracy', percent: true },
  train_accuracy: { label: 'accuracy on the given labels', percent: true },
  noisy_true_accuracy: { label: 'noisy examples predicted as their true class', percent: true },
  loss: { label: 'training loss', percent: false },
};

/** Curves for the chosen metric: one per run, x = epoch; a cross where early stopping on the
 * run's held-out noisy split would have stopped. */
export function curvesFor(runs, metric) {
  return runs.flatMap((run) => {
    const has = (m) => m[metric] !== null && m[metric] !== undefined;
    const line = { label: run.label, color: run.color, points: run.history.filter(has).map((m) => [m.epoch, m[metric]]) };
    const epoch = run.history.at(-1)?.early_stop_epoch;
    const stop = run.history.find((m) => m.epoch === epoch && has(m));
    return stop ? [line, { label: `${run.label}: early stop`, color: run.color, marker: true, points: [[stop.epoch, stop[metric]]] }] : [line];
  });
}

/** Draws curves with plotters on a canvas sized for this screen's pixels; returns the mapping. */
export function paint(canvas, title, xLabel, yLabel, percent, curves, [xMin, xMax] = [], xNames = undefined) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(canvas.clientWidth * dpr);
  const h = Math.round(canvas.clientHeight * dpr);
  if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
  const mapping = JSON.parse(draw_chart(canvas, title, xLabel, yLabel, percent, dpr, JSON.stringify(curves), xMin, xMax, xNames));
  // The tick labels drawn, for tests and as part of the chart's text alternative.
  Object.assign(canvas.dataset, { xLabels: mapping.x_labels.join('|'), yLabels: mapping.y_labels.join('|'), legend: curves.map((c) => c.label).join('|') });
  describe(canvas, title, xLabel, yLabel, percent, curves, xNames);
  return mapping;
}

/** The chart's text alternative: a visually hidden table of its points (the last 30 of each
 * curve), after the canvas and named by it. */
function describe(canvas, title, xLabel, yLabel, percent, curves, xNames) {
  let box = canvas.nextElementSibling;
  if (!box || !box.classList.contains('chart-data')) {
    box = Object.assign(document.createElement('div'), { className: 'sr-only chart-data' });
    box.id = `${canvas.id || `chart-${Math.random().toString(36).slice(2)}`}-data`;
    canvas.after(box);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-describedby', box.id);
  }
  const value = (y) => (percent ? `${(y * 100).toFixed(1)}%` : y.toFixed(4));
  const x = (v) => (xNames ? xNames[v] ?? v : Number.isInteger(v) ? v : v.toFixed(2));
  const table = document.createElement('table');
  table.createCaption().textContent = `${title}: ${yLabel} against ${xLabel}`;
  const head = table.createTHead().insertRow();
  for (const h of ['series', xLabel, yLabel]) head.append(Object.assign(document.createElement('th'), { textContent: h }));
  const body = table.createTBody();
  for (const c of curves) for (const [px, py] of c.points.slice(-30)) [c.label, String(x(px)), value(py)].forEach((t, i, row) => (i === 0 ? body.insertRow() : body.rows[body.rows.length - 1]).insertCell().textContent = t);
  box.replaceChildren(table);
}

export function drawChart(runs, metric) {
  const { label, percent } = METRICS[metric];
  mapping = { ...paint($('chart'), label, 'epoch', label, percent, curvesFor(runs, metric)), percent };
}

export function renderRuns(runs, onRemove) {
  const list = $('runs');
  list.textContent = '';
  runs.forEach((run, i) => {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = `rgb(${run.color.join(',')})`;
    const text = document.createElement('span');
    const last = run.history[run.history.length - 1];
    text.textContent = `${run.label}${last ? ` · ${(last.test_accuracy * 100).toFixed(1)}%` : ''}`;
    const remove = document.createElement('button');
    remove.textContent = '×';
    remove.title = 'remove this run';
    remove.addEventListener('click', () => onRemove(i));
    li.append(swatch, text, remove);
    list.append(li);
  });
}

/** Gallery records from the worker: label, true label (255 none), noisy flag, 784 pixels. */
export function renderGallery(bytes) {
  const root = $('gallery');
  root.textContent = '';
  for (let at = 0; at + 787 <= bytes.length; at += 787) {
    const [label, truth, noisy] = bytes.subarray(at, at + 3);
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 28;
    const image = canvas.getContext('2d').createImageData(28, 28);
    bytes.subarray(at + 3, at + 787).forEach((v, i) => image.data.set([255 - v, 255 - v, 255 - v, 255], i * 4));
    canvas.getContext('2d').putImageData(image, 0, 0);
    const fig = document.createElement('figure');
    fig.className = noisy ? 'noisy' : 'clean';
    const cap = document.createElement('figcaption');
    const given = document.createElement('b');
    given.textContent = label;
    const word = (text) => Object.assign(document.createElement('span'), { className: 'caption-word', textContent: text });
    cap.append(word('given '), given, ' · ', word('true '), truth === 255 ? '–' : String(truth));
    fig.append(canvas, cap);
    root.append(fig);
  }
}

/** The 10x10 test confusion matrix as a heatmap table (rows: true class); `onCell(true,
 * predicted)` when a cell is chosen (click, or Enter on a focused cell). */
export function renderConfusion(matrix, onCell = null) {
  const table = $('confusion');
  table.textContent = '';
  if (!matrix) return;
  const images = matrix.flat().reduce((a, b) => a + b, 0);
  $('confusion-note').textContent = `Rows: true digit; columns: prediction, on ${images.toLocaleString('en')} test images. Updated during training; choose a cell to see its test images.`;
  const head = table.insertRow();
  head.append(Object.assign(document.createElement('th'), { innerHTML: '<span class="sr-only">true digit, then prediction</span>' }));
  for (let j = 0; j < 10; j++) head.append(Object.assign(document.createElement('th'), { textContent: j }));
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const tr = table.insertRow();
    tr.append(Object.assign(document.createElement('th'), { textContent: i }));
    row.forEach((n, j) => {
      const cell = tr.insertCell();
      const share = n / total;
      cell.textContent = n;
      cell.title = `true ${i}, predicted ${j}: ${n} (${(share * 100).toFixed(1)}%)`;
      const strength = i === j ? share : Math.min(1, share * 8);
      // Right answers in the first series colour, confusions in the fourth (blue and red).
      heatCell(cell, colorOf(i === j ? 0 : 3), strength);
      if (onCell) {
        Object.assign(cell, { tabIndex: 0, className: 'cell' });
        cell.setAttribute('aria-label', cell.title);
        cell.addEventListener('click', () => onCell(i, j));
        cell.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onCell(i, j)));
      }
    });
  });
}

/** Test images (784 bytes each) behind one confusion cell. */
export function renderCellExamples(actual, predicted, images, error) {
  const root = $('cell-examples');
  root.textContent = '';
  const count = images ? images.length / 784 : 0;
  const caption = document.createElement('p');
  caption.textContent = error ? error : count ? `True ${actual}, predicted ${predicted}: ${count === 24 ? 'the first 24' : `all ${count}`} test images.` : `No test image of ${actual} is predicted as ${predicted}.`;
  root.append(caption);
  for (let k = 0; k < count; k++) {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 28;
    const ctx = canvas.getContext('2d');
    const image = ctx.createImageData(28, 28);
    for (let p = 0; p < 784; p++) {
      const v = images[k * 784 + p];
      image.data.set([v, v, v, 255], p * 4);
    }
    ctx.putImageData(image, 0, 0);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `test image of a ${actual}, read as ${predicted}`);
    root.append(canvas);
  }
}


/** Shows the nearest point's exact value under the pointer. */
export function enableHover(getCurves) {
  const canvas = $('chart');
  const tip = $('hover');
  canvas.addEventListener('mouseleave', () => (tip.style.display = 'none'));
  canvas.addEventListener('mousemove', (e) => {
    if (!mapping) return;
    const dpr = window.devicePixelRatio || 1;
    const rect = canvas.getBoundingClientRect();
    const px = (e.clientX - rect.left) * dpr;
    const py = (e.clientY - rect.top) * dpr;
    const { x_range: [x0, x1], y_range: [y0, y1], pixels_x: [l, r], pixels_y: [t, b] } = mapping;
    const toPx = ([x, y]) => [l + ((x - x0) / (x1 - x0)) * (r - l), b - ((y - y0) / (y1 - y0)) * (b - t)];
    let best = null;
    for (const c of getCurves()) {
      for (const p of c.points) {
        const [qx, qy] = toPx(p);
        const d = Math.hypot(qx - px, qy - py);
        if (d < 14 * dpr && (!best || d < best.d)) best = { d, c, p, qx, qy };
      }
    }
    if (!best) return void (tip.style.display = 'none');
    const v = mapping.percent ? `${(best.p[1] * 100).toFixed(2)}%` : best.p[1].toFixed(4);
    tip.textContent = `${best.c.label}: ${v} at epoch ${best.p[0].toFixed(2)}`;
    const stage = $('stage').getBoundingClientRect();
    Object.assign(tip.style, { display: 'block', left: `${rect.left - stage.left + best.qx / dpr + 10}px`, top: `${rect.top - stage.top + best.qy / dpr - 28}px` });
  });
}
