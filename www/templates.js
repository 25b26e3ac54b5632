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
  const units = weights ? weights.length / (SIDE * SIDE) : 0;
  if (!units) {
    root.textContent = '';
    note.textContent = model && model.startsWith('conv') ? 'A conv net\u2019s first dense layer sees feature maps, not pixels: no templates to show.' : 'Train a run to see what its first layer looks for.';
    return;
  }
  note.textContent = model === 'perceptron' ? 'The ten class templates: a digit scores high where its pixels meet orange.' : `The first ${units} units of the first hidden layer.`;
  // Training redraws these on every report: the canvases stay, only their pixels change (new
  // canvases and contexts each time cost the main thread tens of milliseconds).
  const label = (u) => (model === 'perceptron' ? `class ${u}` : `unit ${u + 1}`);
  if (root.children.length !== units || root.dataset.model !== model) {
    root.textContent = '';
    root.dataset.model = model;
    for (let u = 0; u < units; u++) {
      const canvas = Object.assign(document.createElement('canvas'), { width: SIDE, height: SIDE });
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${label(u)}: input weights`);
      const fig = document.createElement('figure');
      fig.append(canvas, Object.assign(document.createElement('figcaption'), { textContent: label(u) }));
      root.append(fig);
    }
  }
  for (let u = 0; u < units; u++) {
    const w = weights.subarray(u * SIDE * SIDE, (u + 1) * SIDE * SIDE);
    let top = 1e-9;
    for (const v of w) top = Math.max(top, Math.abs(v));
    const ctx = root.children[u].firstChild.getContext('2d');
    const image = ctx.createImageData(SIDE, SIDE);
    // One 32-bit write per pixel (RGBA in memory order: little-endian ABGR): this runs for
    // every unit on every report, mostly before the JIT has warmed up.
    const pixels = new Uint32Array(image.data.buffer);
    for (let i = 0; i < w.length; i++) {
      const t = Math.abs(w[i]) / top;
      const c = w[i] < 0 ? NEGATIVE : POSITIVE;
      pixels[i] = 0xff000000 | ((255 + (c[2] - 255) * t) << 16) | ((255 + (c[1] - 255) * t) << 8) | (255 + (c[0] - 255) * t);
    }
    ctx.putImageData(image, 0, 0);
  }
}
