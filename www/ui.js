// DOM rendering: the controls built from the parameter table, the chart, the run list.
import { PARAMS } from './params.js';
import { draw_chart } from './pkg/label_noise_lab.js';

const PALETTE = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127]];
export const colorOf = (i) => PALETTE[i % PALETTE.length];

const $ = (id) => document.getElementById(id);

function format(p, v) {
  if (p.kind === 'checkbox') return v ? 'on' : 'off';
  return String(v);
}

/** Builds one row per parameter; `onChange(name, value)` fires on user edits. */
export function buildControls(config, onChange) {
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
    const label = document.createElement('label');
    label.textContent = p.label;
    label.htmlFor = `param-${p.name}`;
    let input;
    if (p.kind === 'select') {
      input = document.createElement('select');
      for (const c of p.choices) input.append(new Option(c, c));
    } else {
      input = document.createElement('input');
      input.type = p.kind;
      if (p.kind !== 'checkbox') Object.assign(input, { min: p.min, max: p.max, step: p.step });
    }
    input.id = `param-${p.name}`;
    input.name = p.name;
    const out = document.createElement('output');
    const read = () => (p.kind === 'checkbox' ? input.checked : p.kind === 'select' ? input.value : Number(input.value));
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
    if (p.kind === 'checkbox') input.checked = !!v;
    else input.value = v;
    row.querySelector('output').textContent = format(p, v);
    const applies = !p.when || p.when(config);
    input.disabled = !applies;
    row.classList.toggle('disabled', !applies);
    row.title = applies ? '' : `only for ${p.name === 'width' ? 'MLPs' : 'structured noise'}`;
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

const METRIC_LABELS = {
  test_accuracy: 'clean test accuracy',
  train_accuracy: 'accuracy on the given labels',
  noisy_true_accuracy: 'noisy examples predicted as their true class',
  loss: 'training loss',
};

/** Curves for the chosen metric: one per run, x = epoch. */
export function curvesFor(runs, metric) {
  return runs.map((run) => ({
    label: run.label,
    color: run.color,
    points: run.history.filter((m) => m[metric] !== null && m[metric] !== undefined).map((m) => [m.epoch, m[metric]]),
  }));
}

export function drawChart(runs, metric) {
  const canvas = $('chart');
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(canvas.clientWidth * dpr);
  const h = Math.round(canvas.clientHeight * dpr);
  if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
  draw_chart(canvas, METRIC_LABELS[metric], 'epoch', METRIC_LABELS[metric], dpr, JSON.stringify(curvesFor(runs, metric)));
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
