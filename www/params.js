// How the page presents the parameter table (TensorFlow Playground style): each parameter's
// group, label and control. Names, kinds, choices, ranges, defaults, help and when a parameter
// applies come from the wasm core (`parameters()`, the Rust table in src/params.rs), so a range or
// a name lives in one place and a hand-edited URL is checked by the same code.
import { parameters } from './pkg/label_noise_lab.js';

// In page order. `control`: how a number is entered (choices and switches pick their own);
// `step`: a slider's granularity (whole numbers step by 1).
const PRESENTATION = {
  noise: { label: 'noise', group: 'Noise' },
  alpha: { label: 'alpha (noisy per clean)', group: 'Noise', control: 'range', step: 1 },
  delta: { label: 'delta', group: 'Noise', control: 'range', step: 0.05 },
  order: { label: 'order', group: 'Noise' },
  epsilon: { label: 'epsilon (flip rate)', group: 'Noise', control: 'range', step: 0.05 },
  'noisy-images': { label: 'noisy images', group: 'Noise' },
  clean: { label: 'clean examples n', group: 'Noise', control: 'range' },
  model: { label: 'model', group: 'Model' },
  width: { label: 'hidden width', group: 'Model', control: 'range' },
  optimizer: { label: 'optimizer', group: 'Training', advanced: true },
  lr: { label: 'learning rate', group: 'Training', control: 'number', step: 'any', advanced: true },
  'lr-schedule': { label: 'rate schedule', group: 'Training', advanced: true },
  batch: { label: 'batch size', group: 'Training', control: 'number', advanced: true },
  epochs: { label: 'epochs', group: 'Training', control: 'number' },
  'h-alpha': { label: 'H_alpha loss', group: 'Training', advanced: true },
  method: { label: 'method', group: 'Method' },
  smoothing: { label: 'smoothing a', group: 'Method', control: 'range', step: 0.05 },
  'bootstrap-beta': { label: 'bootstrap beta', group: 'Method', control: 'range', step: 0.05 },
  'gce-q': { label: 'GCE q', group: 'Method', control: 'range', step: 0.05 },
  transition: { label: 'transition T', group: 'Method' },
  'forget-epochs': { label: 'forget ramp (epochs)', group: 'Method', control: 'number', step: 'any' },
  seed: { label: 'seed', group: 'Training', control: 'number', advanced: true },
};

const INPUT = { choice: 'select', flag: 'checkbox' };

/** The table (filled by `loadParams`): the core's facts with the page's presentation. */
export let PARAMS = [];

/** Reads the table from the wasm core; call once the wasm is initialised. */
export function loadParams() {
  const core = new Map(JSON.parse(parameters()).map((p) => [p.name, p]));
  const missing = [...core.keys()].filter((name) => !(name in PRESENTATION));
  if (missing.length) throw new Error(`params.js does not present ${missing.join(', ')}`);
  PARAMS = Object.entries(PRESENTATION).map(([name, look]) => {
    const p = core.get(name);
    if (!p) throw new Error(`params.js presents ${name}, which the core does not have`);
    const input = INPUT[p.kind] || look.control;
    // `when(config)`: whether the parameter matters for this configuration; `why`: when it does.
    const when = p.applies ? (c) => p.applies.values.includes(c[p.applies.on]) : null;
    const why = p.applies ? `only for ${p.applies.on} ${p.applies.values.join(', ')}` : '';
    return { ...p, ...look, input, when, why, step: look.step ?? (p.kind === 'integer' ? 1 : 'any') };
  });
}

export function toQuery(config) {
  return PARAMS.map((p) => `${p.name}=${encodeURIComponent(config[p.name])}`).join('&');
}
