// What the network learned: its first layer's input weights as 28x28 images (the perceptron's
// ten class templates; an MLP's first hidden units), updated during training. Positive weights
// orange, negative blue (a diverging pair that colour-blind readers tell apart), each template
// scaled to its own largest weight.
const SIDE = 28;
const NEGATIVE = [33, 102, 172];
const POSITIVE = [230, 97, 1];

/** Draws `weights` (784 per unit, flat) for `model`; a note instead for the conv nets. */
export function renderTemplates(weights, model) {
  const root = document.getElementById('templates');
  const note = document.getElementById('templates-note');
  root.textContent = '';
  const units = weights ? weights.length / (SIDE * SIDE) : 0;
  if (!units) {
    note.textContent = model && model.startsWith('conv') ? 'A conv net\u2019s first dense layer sees feature maps, not pixels: no templates to show.' : 'Train a run to see what its first layer looks for.';
    return;
  }
  note.textContent = model === 'perceptron' ? 'The ten class templates: a digit scores high where its pixels meet orange.' : `The first ${units} units of the first hidden layer.`;
  for (let u = 0; u < units; u++) {
    const w = weights.subarray(u * SIDE * SIDE, (u + 1) * SIDE * SIDE);
    const top = w.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-9);
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = SIDE;
    const ctx = canvas.getContext('2d');
    const image = ctx.createImageData(SIDE, SIDE);
    w.forEach((v, i) => {
      const t = Math.abs(v) / top;
      const [r, g, b] = v < 0 ? NEGATIVE : POSITIVE;
      image.data.set([255 + (r - 255) * t, 255 + (g - 255) * t, 255 + (b - 255) * t, 255], i * 4);
    });
    ctx.putImageData(image, 0, 0);
    const fig = document.createElement('figure');
    const label = model === 'perceptron' ? `class ${u}` : `unit ${u + 1}`;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${label}: input weights`);
    fig.append(canvas, Object.assign(document.createElement('figcaption'), { textContent: label }));
    root.append(fig);
  }
}
