// Draw your own digit: a pad that the lab's trained model reads live. Pointer events, so mouse,
// pen and touch work alike. The drawing is brought to MNIST's form before it is read: the
// digit's bounding box scaled to fit 20x20 pixels, placed in 28x28 with its centre of mass in the
// middle (how the MNIST images were made), white on black.
const SIDE = 28;
const BOX = 20;

/** Wires the pad; `ask(pixels)` resolves to ten probabilities (or rejects with a message). */
export function initDrawing(ask) {
  const pad = document.getElementById('pad');
  const ctx = pad.getContext('2d', { willReadFrequently: true });
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
    showProbabilities(null, 'Draw a digit with the mouse, a pen or a finger.');
  };
  clear();
  let last = null;
  let pending = false;
  let again = false;
  const read = async () => {
    // One question in flight; a stroke that moves on meanwhile asks again once it is answered.
    if (pending) return void (again = true);
    const pixels = toMnist(ctx, pad.width, pad.height);
    if (!pixels) return;
    pending = true;
    try {
      showProbabilities(await ask(pixels));
    } catch (e) {
      showProbabilities(null, String(e.message || e));
    } finally {
      pending = false;
      if (again) {
        again = false;
        read();
      }
    }
  };
  const point = (e) => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
  };
  pad.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    pad.setPointerCapture(e.pointerId);
    last = point(e);
    stroke(last, last);
  });
  pad.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = point(e);
    stroke(last, p);
    last = p;
    read();
  });
  const end = () => {
    if (!last) return;
    last = null;
    read();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  // A drawing put on the pad by other means (a test image, for one) is read on `input`.
  pad.addEventListener('input', read);
  // The keyboard draws too: arrows move the pen, Space lifts or lowers it, Delete clears.
  let pen = { at: [pad.width / 2, pad.height / 2], down: false };
  pad.addEventListener('keydown', (e) => {
    const step = pad.width / 20;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[e.key]) {
      const [dx, dy] = moves[e.key];
      const to = [Math.min(pad.width, Math.max(0, pen.at[0] + dx)), Math.min(pad.height, Math.max(0, pen.at[1] + dy))];
      if (pen.down) stroke(pen.at, to);
      pen.at = to;
      if (pen.down) read();
    } else if (e.key === ' ') {
      pen.down = !pen.down;
      if (pen.down) stroke(pen.at, pen.at);
    } else if (e.key === 'Delete' || e.key === 'Backspace') {
      clear();
      pen = { at: [pad.width / 2, pad.height / 2], down: false };
    } else return;
    e.preventDefault();
  });
  document.getElementById('pad-clear').addEventListener('click', clear);

  function stroke([x0, y0], [x1, y1]) {
    Object.assign(ctx, { strokeStyle: '#fff', lineWidth: pad.width / 12, lineCap: 'round', lineJoin: 'round' });
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
  }
}

/** The drawing as 784 MNIST-like pixels, or null while the pad is empty. */
function toMnist(ctx, w, h) {
  const { data } = ctx.getImageData(0, 0, w, h);
  let [x0, y0, x1, y1] = [w, h, -1, -1];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (data[(y * w + x) * 4] > 40) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  if (x1 < 0) return null;
  const [bw, bh] = [x1 - x0 + 1, y1 - y0 + 1];
  const k = BOX / Math.max(bw, bh);
  const box = new OffscreenCanvas(Math.max(1, Math.round(bw * k)), Math.max(1, Math.round(bh * k)));
  const bctx = box.getContext('2d');
  bctx.imageSmoothingQuality = 'high';
  bctx.drawImage(ctx.canvas, x0, y0, bw, bh, 0, 0, box.width, box.height);
  const small = bctx.getImageData(0, 0, box.width, box.height).data;
  // Centre of mass of the scaled digit, placed at the middle of the 28x28 image.
  let [mass, mx, my] = [0, 0, 0];
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const v = small[(y * box.width + x) * 4];
      [mass, mx, my] = [mass + v, mx + v * x, my + v * y];
    }
  }
  const [dx, dy] = [Math.round(SIDE / 2 - mx / mass), Math.round(SIDE / 2 - my / mass)];
  const pixels = new Uint8Array(SIDE * SIDE);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const [tx, ty] = [x + dx, y + dy];
      if (tx >= 0 && tx < SIDE && ty >= 0 && ty < SIDE) pixels[ty * SIDE + tx] = small[(y * box.width + x) * 4];
    }
  }
  return pixels;
}

/** Ten bars, the most likely class first in words; or a message. */
function showProbabilities(p, message = '') {
  const list = document.getElementById('pad-probabilities');
  list.textContent = '';
  const verdict = document.getElementById('pad-verdict');
  if (!p) {
    verdict.textContent = message;
    delete verdict.dataset.digit;
    return;
  }
  const best = p.indexOf(Math.max(...p));
  verdict.textContent = `The network reads a ${best} (${(p[best] * 100).toFixed(0)}% sure).`;
  verdict.dataset.digit = best;
  p.forEach((v, digit) => {
    const li = document.createElement('li');
    const bar = document.createElement('span');
    bar.className = 'bar-fill';
    bar.style.width = `${(v * 100).toFixed(1)}%`;
    li.append(Object.assign(document.createElement('b'), { textContent: digit }), bar, Object.assign(document.createElement('span'), { textContent: `${(v * 100).toFixed(1)}%` }));
    li.classList.toggle('best', digit === best);
    list.append(li);
  });
}
