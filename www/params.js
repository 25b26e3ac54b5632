// The page's state is this one declarative table (TensorFlow Playground style). Names are the
// CLI's flags and the URL parameters; the wasm core (`parse_query`) is the authority on ranges
// and defaults, so a hand-edited URL is checked in exactly one place.
export const PARAMS = [
  { name: 'noise', label: 'noise', group: 'Noise', kind: 'select', choices: ['uniform', 'structured', 'fashion', 'white'] },
  { name: 'alpha', label: 'alpha (noisy per clean)', group: 'Noise', kind: 'range', min: 0, max: 100, step: 1 },
  { name: 'delta', label: 'delta', group: 'Noise', kind: 'range', min: 0, max: 1, step: 0.05, when: (c) => c.noise === 'structured' },
  { name: 'order', label: 'order', group: 'Noise', kind: 'select', choices: ['confusion', 'reverse', 'random'], when: (c) => c.noise === 'structured' },
  { name: 'noisy-images', label: 'noisy images', group: 'Noise', kind: 'select', choices: ['reused', 'novel'] },
  { name: 'clean', label: 'clean examples n', group: 'Noise', kind: 'range', min: 100, max: 60000, step: 100 },
  { name: 'model', label: 'model', group: 'Model', kind: 'select', choices: ['perceptron', 'mlp1', 'mlp2', 'mlp4'] },
  { name: 'width', label: 'hidden width', group: 'Model', kind: 'range', min: 16, max: 1024, step: 16, when: (c) => c.model !== 'perceptron' },
  { name: 'optimizer', label: 'optimizer', group: 'Training', kind: 'select', choices: ['sgd', 'adam', 'adadelta'], advanced: true },
  { name: 'lr', label: 'learning rate', group: 'Training', kind: 'number', min: 0.00001, max: 10, step: 0.0001, advanced: true },
  { name: 'batch', label: 'batch size', group: 'Training', kind: 'range', min: 16, max: 1024, step: 16, advanced: true },
  { name: 'epochs', label: 'epochs', group: 'Training', kind: 'range', min: 1, max: 50, step: 1 },
  { name: 'h-alpha', label: 'H_alpha loss', group: 'Training', kind: 'checkbox', advanced: true },
  { name: 'seed', label: 'seed', group: 'Training', kind: 'number', min: 0, max: 9007199254740991, step: 1, advanced: true },
];

export function toQuery(config) {
  return PARAMS.map((p) => `${p.name}=${encodeURIComponent(config[p.name])}`).join('&');
}
