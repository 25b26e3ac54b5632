// The page in real headless Chromium: loading, training in the worker, chart pixels, a
// responsive main thread, bad URL parameters, embed mode, reproducible reloads, same-origin only.
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { serve, open, waitState, shot, sharedBrowser, palette } from './harness.mjs';

const SHORT = 'model=mlp1&width=64&clean=2000&alpha=5&epochs=2&seed=3';
const lab = sharedBrowser();

/** The font size and weight pairs of the text laid out on the page now. A pair first laid out
 * mid-run loads a font strike while the worker holds a core: 50-150 ms of a blocked main thread
 * on 2 cores (see style.css). */
function fontPairs(page) {
  return page.evaluate(() => {
    const pairs = new Set();
    for (const el of document.querySelectorAll('body *')) {
      const text = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
      if (!text || !el.getClientRects().length) continue;
      const style = getComputedStyle(el);
      pairs.add(`${style.fontSize} ${style.fontWeight}`);
    }
    return [...pairs].sort();
  });
}

/** Pixels of the chart canvas close to an RGB colour. */
async function pixelsNear(page, [r, g, bl]) {
  return page.evaluate(([r, g, bl]) => {
    const c = document.getElementById('chart');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - bl) < 40) n++;
    return n;
  }, [r, g, bl]);
}

test('a short run trains in the worker, draws its curve and keeps the page responsive', async () => {
  // Started by #play, not autostart: with autostart the first report can be drawn before the
  // empty chart is looked at, and the check would race the worker.
  const { page, requests, errors } = await open(lab.b, `${lab.srv.origin}/?${SHORT}`);
  await shot(page, 'loading');
  await waitState(page, ['ready']);
  await page.waitForFunction(() => document.getElementById('chart').dataset.xLabels !== undefined);
  const [first, second] = await palette(page);
  assert.equal(await pixelsNear(page, first), 0, 'no curve before training');
  const atLoad = await fontPairs(page);
  await page.click('#play');
  await waitState(page, ['training']);
  await page.waitForFunction(() => document.getElementById('run-status').dataset.testAccuracy, null, { timeout: 60_000 });
  await shot(page, 'training');
  const status = await waitState(page, ['done', 'error']);
  await shot(page, 'finished');
  assert.equal(status.state, 'done', JSON.stringify(status));
  const accuracy = Number(status.testAccuracy);
  assert.ok(accuracy > 0.6 && accuracy <= 1, `clean test accuracy ${accuracy}`);
  assert.ok((await pixelsNear(page, first)) > 200, 'the first run is drawn in the first palette colour');
  const midRun = (await fontPairs(page)).filter((pair) => !atLoad.includes(pair));
  assert.deepEqual(midRun, [], `text sizes and weights first laid out mid-run (at load: ${atLoad.join(', ')})`);
  const longest = Number(await page.evaluate(() => document.body.dataset.longestTask || 0));
  assert.ok(longest < 200, `longest main-thread task ${longest} ms`);
  assert.match(await page.textContent('#runs'), /mlp1 alpha=5 uniform/);
  const origin = new URL(lab.srv.origin).origin;
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(foreign, [], 'no request leaves the page origin');
  assert.deepEqual(errors, []);

  // A second run with another alpha overlays the first in the next colour; it can be removed.
  await page.selectOption('#param-noise', 'white');
  await page.click('#play');
  await waitState(page, ['training']);
  await waitState(page, ['done', 'error']);
  assert.ok((await pixelsNear(page, second)) > 200, 'second run in the second colour');
  assert.match(page.url(), /noise=white/, 'the URL follows the controls');
  await page.click('#runs li:first-child button');
  assert.equal(await page.locator('#runs li').count(), 1);
  await page.close();
});

test('garbage URL parameters show notices, and the page still trains with defaults', async () => {
  const bad = `alpha=999&model=%3Cscript%3Ealert(1)%3C/script%3E&colour=red&batch=-4&lr=NaN&${'x'.repeat(5000)}=1&clean=1000&epochs=1&width=32&autostart=1`;
  const { page, errors } = await open(lab.b, `${lab.srv.origin}/?${bad}`);
  await page.waitForSelector('#notices p');
  const notices = await page.textContent('#notices');
  assert.match(notices, /alpha must be 0\.\.100/);
  assert.match(notices, /is not one of perceptron/);
  assert.match(notices, /unknown parameter "colour" ignored/);
  assert.equal(await page.locator('#notices script').count(), 0, 'URL text is never HTML');
  const status = await waitState(page, ['done', 'error']);
  await shot(page, 'bad-url');
  assert.equal(status.state, 'done');
  assert.deepEqual(errors, []);
  await page.close();
});

test('embed mode renders the compact page', async () => {
  const { page } = await open(lab.b, `${lab.srv.origin}/?${SHORT}&embed=1`, { width: 720, height: 640 });
  await waitState(page, ['ready']);
  await shot(page, 'embed');
  assert.equal(await page.isVisible('header'), false);
  assert.equal(await page.isVisible('#chart'), true);
  assert.equal(await page.isVisible('#param-alpha'), true);
  assert.match(page.url(), /embed=1/);
  await page.close();
});

test('a reload of a shared URL gives bit-identical numbers; a native run of it the same data and start', async () => {
  const results = [];
  for (let i = 0; i < 2; i++) {
    const { page } = await open(lab.b, `${lab.srv.origin}/?${SHORT}&epochs=1&autostart=1`);
    await waitState(page, ['done', 'error']);
    // Everything but the wall time, which no seed fixes.
    const { wallMs, ...numbers } = await page.evaluate(() => ({ ...document.getElementById('run-status').dataset }));
    assert.ok(Number(wallMs) > 0);
    results.push(numbers);
    await page.close();
  }
  assert.deepEqual(results[0], results[1], 'same accuracy and the same final weights, bit for bit');
  assert.ok(Number(results[0].testAccuracy) > 0.5);
  assert.match(results[0].finalWeights, /^[0-9a-f]{16}$/);

  // The same configuration through the native CLI of the same build.
  const params = new URLSearchParams(SHORT);
  params.set('epochs', '1');
  const flags = [...params].flatMap(([k, v]) => [`--${k}`, v]);
  const cli = process.env.LNL_CLI || 'target/release/label-noise-lab';
  const out = execFileSync(cli, ['run', ...flags, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const native = JSON.parse(out.trim().split('\n').at(-1));
  assert.equal(native.fingerprints.training_set, results[0].trainingSet, 'the same noisy training set');
  assert.equal(native.fingerprints.initial_weights, results[0].initialWeights, 'the same initial weights');
  // Float sums may round differently (x86 FMA vs wasm simd128), so the trained nets agree closely, not bitwise.
  assert.ok(Math.abs(native.test_accuracy - Number(results[0].testAccuracy)) < 0.015, `native ${native.test_accuracy} vs browser ${results[0].testAccuracy}`);
  console.log(`native vs browser: accuracy ${native.test_accuracy} vs ${results[0].testAccuracy}; final weights ${native.fingerprints.final_weights === results[0].finalWeights ? 'bit-identical' : 'differ in the last bits'}`);
});

test('a structured-noise run in the page has the native CLI\'s training set and initial weights', async () => {
  // Confusion order: both sides first train the same reference perceptron to rank wrong classes.
  const query = 'model=mlp1&width=64&clean=2000&alpha=10&noise=structured&delta=0.6&order=confusion&epochs=1&seed=8';
  const { page } = await open(lab.b, `${lab.srv.origin}/?${query}&autostart=1`);
  const browser = await waitState(page, ['done', 'error'], 180_000);
  assert.equal(browser.state, 'done');
  await page.close();
  const flags = [...new URLSearchParams(query)].flatMap(([k, v]) => [`--${k}`, v]);
  const out = execFileSync(process.env.LNL_CLI || 'target/release/label-noise-lab', ['run', ...flags, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const native = JSON.parse(out.trim().split('\n').at(-1));
  assert.equal(native.config.noise, 'structured');
  assert.equal(native.fingerprints.training_set, browser.trainingSet, 'the same structured noisy labels');
  assert.equal(native.fingerprints.initial_weights, browser.initialWeights);
  assert.ok(Math.abs(native.test_accuracy - Number(browser.testAccuracy)) < 0.02, `native ${native.test_accuracy} vs browser ${browser.testAccuracy}`);
});

// A missing file, a corrupt one (bytes flipped: the gzip CRC catches it) and a truncated one.
const DAMAGE = [
  ['missing', (body) => ({ status: 404, body: 'gone' }), /mnist-train-00\.lnl\.gz: HTTP 404/],
  ['corrupt', (body) => ({ status: 200, body: Buffer.from(body.map((v, i) => (i > 100 && i % 97 === 0 ? v ^ 0xff : v))) }), /mnist-train-00\.lnl\.gz/],
  ['truncated', (body) => ({ status: 200, body: body.subarray(0, body.length >> 1) }), /mnist-train-00\.lnl\.gz/],
];
for (const [kind, damage, message] of DAMAGE) {
  test(`a ${kind} data file shows an error, and Reset recovers once it is back`, async () => {
    let broken = true;
    const real = fs.readFileSync(path.resolve(import.meta.dirname, '../../www/data/mnist-train-00.lnl.gz'));
    const s = await serve((p) => (broken && p.endsWith('mnist-train-00.lnl.gz') ? damage(real) : null));
    const { page } = await open(lab.b, `${s.origin}/?${SHORT}&epochs=1`);
    const status = await waitState(page, ['error']);
    if (kind === 'missing') await shot(page, 'error');
    assert.match(await page.textContent('#status-text'), message);
    assert.match(await page.textContent('#status-text'), /Press Reset/);
    assert.equal(status.state, 'error');
    broken = false;
    await page.click('#reset');
    await waitState(page, ['ready']);
    await page.close();
    s.server.close();
  });
}

test('the page is usable before all of MNIST has arrived, and streaming does not change a run', async () => {
  let open_;
  const gate = new Promise((r) => (open_ = r));
  let broken = true;
  // Hold back the training chunks after the first; break one of them for the first page.
  const s = await serve((p) => (/mnist-train-0[1-5]/.test(p) ? (broken && p.includes('train-03') ? { status: 500, body: 'x' } : { wait: gate }) : null));
  const { page } = await open(lab.b, `${s.origin}/?${SHORT}&epochs=1&autostart=1`);
  const early = await waitState(page, ['done', 'error']);
  assert.equal(early.state, 'done', 'a run with 2,000 clean examples needs only the first chunk');
  assert.match(await page.textContent('#data-status'), /10,000 of 60,000/);

  // A run that needs 40,000 training images waits for them, then trains.
  await page.evaluate(() => {
    const clean = document.getElementById('param-clean');
    clean.value = 35000;
    clean.dispatchEvent(new Event('input'));
  });
  await page.click('#play');
  await page.waitForFunction(() => /Waiting for data/.test(document.getElementById('status-text').textContent));
  await shot(page, 'waiting-for-data');
  open_();
  await page.waitForFunction(() => /could not be loaded/.test(document.getElementById('data-status').textContent));
  assert.equal((await waitState(page, ['error'])).state, 'error', 'the waiting run reports the failed chunk');
  assert.match(await page.textContent('#status-text'), /mnist-train-03\.lnl\.gz: HTTP 500/);

  // Reset retries the data; the same run with everything loaded gives the same numbers.
  broken = false;
  await page.evaluate(() => {
    const clean = document.getElementById('param-clean');
    clean.value = 2000;
    clean.dispatchEvent(new Event('input'));
  });
  await page.click('#reset');
  await waitState(page, ['ready']);
  await page.waitForFunction(() => document.getElementById('data-status').textContent === '');
  await page.click('#play');
  const late = await waitState(page, ['done', 'error']);
  assert.equal(late.testAccuracy, early.testAccuracy);
  await page.close();
  s.server.close();
});

test('after the first visit the lab works offline (service worker cache)', async () => {
  const s = await serve();
  const context = await lab.b.newContext();
  const page = await context.newPage();
  await page.goto(`${s.origin}/?${SHORT}`);
  await waitState(page, ['ready']);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload(); // now controlled: every file passes through the cache
  await waitState(page, ['ready']);
  await page.waitForFunction(async () => {
    const keys = await (await caches.open('label-noise-lab-v1')).keys();
    return keys.some((k) => k.url.endsWith('mnist-train-05.lnl.gz'));
  });
  await context.setOffline(true);
  await page.reload();
  await waitState(page, ['ready']);
  await page.click('#play');
  const status = await waitState(page, ['done', 'error']);
  assert.equal(status.state, 'done', 'trains offline');
  await context.close();
  s.server.close();
});

test('a worker that cannot start shows the error view, and Reset starts a fresh one', async () => {
  let wasmRequests = 0;
  // The page's own module loads first; the worker's copy (the second request) is corrupt.
  const s = await serve((p) => (p.endsWith('_bg.wasm') && ++wasmRequests === 2 ? { status: 200, body: 'not wasm' } : null));
  const { page } = await open(lab.b, `${s.origin}/?${SHORT}&epochs=1`);
  const status = await waitState(page, ['error']);
  assert.equal(status.state, 'error');
  assert.match(await page.textContent('#status-text'), /Press Reset/);
  await page.click('#reset');
  await waitState(page, ['ready']);
  await page.click('#play');
  assert.equal((await waitState(page, ['done', 'error'])).state, 'done');
  await page.close();
  s.server.close();
});

/** The page's training worker, as playwright sees it. */
async function trainingWorker(page) {
  for (let i = 0; i < 100; i++) {
    const w = page.workers().filter((x) => x.url().endsWith('/worker.js')).at(-1);
    if (w) return w;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no training worker');
}

test('a wasm panic mid-run and a killed worker each show the failure view; Reset recovers', async () => {
  // The crash hook is not in the product: this server adds the test build's hooks.
  const hooked = await serve(undefined, { hooks: true });
  const { page } = await open(lab.b, `${hooked.origin}/?${SHORT}&epochs=3&autostart=1`);
  await page.waitForFunction(() => document.getElementById('run-status').dataset.testAccuracy);
  // A Rust panic inside the worker (through the worker's own message handler).
  await (await trainingWorker(page)).evaluate(() => self.dispatchEvent(new MessageEvent('message', { data: { type: 'crash-test', message: 'from the e2e test' } })));
  await waitState(page, ['error']);
  assert.match(await page.textContent('#status-text'), /panicked at .*crash test: from the e2e test.*Press Reset/s);
  await shot(page, 'panic');
  assert.equal(await page.isDisabled('#play'), true, 'no training on a worker that panicked');
  await page.click('#reset');
  await waitState(page, ['ready']);

  // A worker that silently disappears mid-run (as when the browser kills it).
  await page.click('#play');
  await page.waitForFunction(() => /epoch/.test(document.getElementById('status-detail').textContent));
  const worker = await trainingWorker(page);
  await worker.evaluate(() => self.close());
  await waitState(page, ['error'], 30_000);
  assert.match(await page.textContent('#status-text'), /stopped responding/);
  await page.click('#reset');
  await waitState(page, ['ready']);
  await page.click('#play');
  assert.equal((await waitState(page, ['done', 'error'])).state, 'done', 'a fresh run succeeds');
  await page.close();
  hooked.server.close();
});

test('the Content-Security-Policy blocks inline script and eval, and the page breaks no rule of it', async () => {
  // A same-origin script (allowed) that tries eval (forbidden): CSP applies to the page's own
  // scripts, not to code the test driver evaluates.
  const probe = "let r; try { r = String(eval('2 + 2')); } catch { r = 'blocked'; } document.body.dataset.evalProbe = r;";
  const s = await serve((p) => (p === '/probe.js' ? { status: 200, body: probe, type: 'text/javascript' } : null));
  const { page, errors } = await open(lab.b, `${s.origin}/?${SHORT}&epochs=1&autostart=1`);
  const violations = [];
  await page.exposeFunction('reportViolation', (v) => violations.push(v));
  await page.evaluate(() => document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${e.sample}`)));
  assert.equal((await waitState(page, ['done', 'error'])).state, 'done');
  const inline = await page.evaluate(async () => {
    const inline = document.createElement('script');
    inline.textContent = 'window.injected = 1';
    document.body.append(inline);
    const probe = document.createElement('script');
    probe.src = '/probe.js';
    await new Promise((r) => { probe.onload = probe.onerror = r; document.body.append(probe); });
    return window.injected ?? 'blocked';
  });
  assert.equal(inline, 'blocked');
  assert.equal(await page.evaluate(() => document.body.dataset.evalProbe), 'blocked');
  assert.deepEqual(violations.map((v) => v.split(' ')[0]).sort(), ['script-src-elem', 'script-src'].sort(), violations.join('\n'));
  assert.deepEqual(errors.filter((e) => !/Content Security Policy/.test(e)), []);
  await page.close();
  s.server.close();
});

for (const [sandbox, cors] of [['allow-scripts', true], ['allow-scripts allow-same-origin', false]]) {
  test(`embedded in an <iframe sandbox="${sandbox}"> on another origin, a run trains${cors ? ' (host sends CORS)' : ''}`, async () => {
    const site = await serve(undefined, { cors });
    const src = `${site.origin}/?${SHORT}&epochs=1&embed=1&autostart=1`;
    const html = `<!doctype html><title>blog</title><p>A blog post.</p><iframe src="${src}" sandbox="${sandbox}" width="720" height="900"></iframe>`;
    const blog = await serve((p) => (p === '/post.html' ? { status: 200, body: html, type: 'text/html' } : null));
    const { page } = await open(lab.b, `${blog.origin}/post.html`);
    let frame;
    for (let i = 0; i < 100 && !frame; i++) {
      frame = page.frames().find((f) => f.url().startsWith(site.origin));
      if (!frame) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(frame, 'the lab frame loaded');
    await frame.waitForFunction(() => ['done', 'error'].includes(document.getElementById('run-status')?.dataset.state), null, { timeout: 120_000 });
    const state = await frame.evaluate(() => ({ ...document.getElementById('run-status').dataset, text: document.getElementById('status-text').textContent }));
    await shot(page, `sandboxed-${cors ? 'scripts-only' : 'same-origin'}`);
    assert.equal(state.state, 'done', JSON.stringify(state));
    assert.ok(Number(state.testAccuracy) > 0.5);
    await page.close();
    site.server.close();
    blog.server.close();
  });
}

test('absurd runs are refused and long ones warned about, with an estimate, before they start', async () => {
  const { page } = await open(lab.b, `${lab.srv.origin}/?alpha=100&clean=60000&batch=1&epochs=500&autostart=1`);
  await page.waitForFunction(() => /Not started/.test(document.getElementById('status-text').textContent));
  assert.match(await page.textContent('#status-text'), /would take about \d+ days/);
  assert.match(await page.textContent('#estimate'), /6,060,000 examples/);
  assert.equal((await waitState(page, ['ready'])).state, 'ready', 'nothing trains');
  await shot(page, 'refused');

  // About an hour: the first press warns, the second starts it.
  await page.evaluate(() => {
    for (const [name, value] of [['batch', 128], ['epochs', 10], ['alpha', 50]]) {
      const input = document.getElementById(`param-${name}`);
      input.value = value;
      input.dispatchEvent(new Event('input'));
    }
  });
  await page.click('#play');
  assert.match(await page.textContent('#status-text'), /Heads up: this run will take about .*Press Train again/);
  assert.equal(await page.getAttribute('#run-status', 'data-state'), 'ready');
  await page.click('#play');
  await page.waitForFunction(() => /Waiting for data|Training/.test(document.getElementById('status-text').textContent));
  await page.click('#reset');
  await page.close();
});
