// What a user does with a run once it exists: pause and resume, step one epoch, switch the
// metric, hover a point, export CSV and PNG, copy the link, embed the iframe snippet, and read
// the training examples and the confusion matrix. Each check compares with the run's own numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { open, waitState, shot, sharedBrowser } from './harness.mjs';

const lab = sharedBrowser();
const SHORT = 'model=mlp1&width=64&clean=2000&alpha=5&epochs=2&seed=3';
// Long enough (about 10 s) to pause in the middle.
const LONGER = 'model=mlp2&width=256&clean=10000&alpha=10&epochs=2&seed=4';

const detail = (page) => page.textContent('#status-detail');
const dataset = (page, id) => page.evaluate((id) => ({ ...document.getElementById(id).dataset }), id);

test('pause stops training until resume; step one epoch stops at the epoch end', async () => {
  const { page, errors } = await open(lab.b, `${lab.srv.origin}/?${LONGER}&autostart=1`);
  await page.waitForFunction(() => /epoch 0\.[1-9]/.test(document.getElementById('status-detail').textContent), null, { timeout: 60_000 });
  await page.click('#pause');
  await page.waitForFunction(() => /^Paused/.test(document.getElementById('status-text').textContent));
  assert.equal(await page.textContent('#play'), '▶ Resume');
  assert.equal(await page.isDisabled('#pause'), true);
  const at = await detail(page);
  const progress = await page.evaluate(() => document.getElementById('progress').style.width);
  await page.waitForTimeout(2000);
  assert.equal(await detail(page), at, 'nothing trains while paused');
  assert.equal(await page.evaluate(() => document.getElementById('progress').style.width), progress);
  await page.click('#play');
  assert.equal((await waitState(page, ['done', 'error'])).state, 'done', 'resumed to the end');
  assert.match(await page.textContent('#runs'), /mlp2 alpha=10 uniform · \d+\.\d%/);

  // Step one epoch from a fresh run: it pauses at epoch 1 of 2, then a second step finishes.
  await page.click('#reset');
  await waitState(page, ['ready']);
  await page.click('#step');
  await page.waitForFunction(() => /^Paused/.test(document.getElementById('status-text').textContent), null, { timeout: 60_000 });
  assert.match(await detail(page), /epoch 1\.00 \/ 2/);
  const shown = (await page.textContent('#runs')).match(/· (\d+\.\d)%/);
  assert.ok(shown && Number(shown[1]) > 50, `the curve reached epoch 1: ${await page.textContent('#runs')}`);
  await page.click('#step');
  assert.equal((await waitState(page, ['done', 'error'])).state, 'done');
  assert.deepEqual(errors, []);
  await page.close();
});

test('after a run: metric selector, hover, CSV and PNG exports, copy link, iframe snippet, gallery and confusion matrix', async () => {
  const context = await lab.b.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: lab.srv.origin });
  const page = await context.newPage();
  await page.goto(`${lab.srv.origin}/?${SHORT}&autostart=1`);
  const status = await waitState(page, ['done', 'error']);
  assert.equal(status.state, 'done');
  const accuracy = Number(status.testAccuracy);

  // CSV: one row per point of the curve, the last one the final full evaluation.
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const csv = fs.readFileSync(await csvDownload.path(), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'run,epoch,step,test_accuracy,train_accuracy,noisy_true_accuracy,loss,samples_per_sec');
  const rows = csv.slice(1).map((line) => line.split(','));
  assert.ok(rows.length >= 3, `${rows.length} points`);
  assert.ok(rows.every((r) => r[0] === '"mlp1 alpha=5 uniform"'));
  assert.equal(Number(rows.at(-1)[3]), accuracy, 'the last row is the final accuracy');
  assert.equal(Number(rows.at(-1)[1]), 2, 'at epoch 2');
  const epochs = rows.map((r) => Number(r[1]));
  assert.deepEqual(epochs, [...epochs].sort((a, b) => a - b), 'rows in training order');

  // PNG: the chart canvas as drawn, at its pixel size.
  const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  const png = fs.readFileSync(await pngDownload.path());
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  const size = await page.evaluate(() => [document.getElementById('chart').width, document.getElementById('chart').height]);
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], size);

  // Hover: the pointer on the curve's last point (its rightmost pixel in the run's colour: the
  // legend sits left of the last epoch) shows that point's exact value.
  const [px, py, dpr] = await page.evaluate(() => {
    const c = document.getElementById('chart');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let best = [-1, -1];
    for (let i = 0; i < d.length; i += 4) {
      const x = (i / 4) % c.width;
      if (x > best[0] && Math.abs(d[i] - 31) + Math.abs(d[i + 1] - 119) + Math.abs(d[i + 2] - 180) < 40) best = [x, Math.floor(i / 4 / c.width)];
    }
    return [...best, window.devicePixelRatio || 1];
  });
  await page.locator('#chart').scrollIntoViewIfNeeded(); // the export buttons scrolled it
  // The page's layout can still settle after Done (a status line rewraps, by ~8 px): measure the
  // chart's place again for each try, so the pointer lands where the point is drawn now.
  for (let attempt = 0; ; attempt++) {
    const box = await page.locator('#chart').boundingBox();
    await page.mouse.move(box.x + px / dpr, box.y + py / dpr);
    try {
      await page.waitForSelector('#hover', { state: 'visible', timeout: 1500 });
      break;
    } catch (e) {
      if (attempt === 3) throw e;
      await page.mouse.move(0, 0);
    }
  }
  const tip = await page.textContent('#hover');
  const hovered = tip.match(/^mlp1 alpha=5 uniform: (\d+\.\d\d)% at epoch (\d\.\d\d)$/);
  assert.ok(hovered, `hover text ${JSON.stringify(tip)}`);
  assert.deepEqual([hovered[1], hovered[2]], [(accuracy * 100).toFixed(2), '2.00'], `${tip} is the run's last point`);

  // The metric selector redraws the same run in other units: the loss in plain numbers.
  const yLabels = async () => (await dataset(page, 'chart')).yLabels.split('|');
  assert.ok((await yLabels()).every((l) => l.endsWith('%')));
  await page.selectOption('#metric', 'loss');
  const loss = await yLabels();
  assert.ok(loss.length >= 3 && loss.every((l) => /^\d+(\.\d+)?$/.test(l)), `loss ticks ${loss}`);
  const losses = rows.map((r) => Number(r[6]));
  const [lo, hi, span] = [Math.min(...losses), Math.max(...losses), Math.max(...losses) - Math.min(...losses)];
  // The axis spans at least 10% of the loss (chart.rs), so a flat curve does not fill the chart.
  const pad = Math.max(span, 0.1 * hi);
  assert.ok(loss.map(Number).every((t) => t >= lo - pad && t <= hi + pad), `loss axis ${loss} spans the run's losses ${losses}`);
  assert.equal(new Set(loss).size, loss.length, 'distinct ticks');
  await page.selectOption('#metric', 'train_accuracy');
  assert.ok((await yLabels()).every((l) => l.endsWith('%')));
  await page.selectOption('#metric', 'test_accuracy');

  // Training examples: 32 of the run's, clean ones shown with their own label.
  const gallery = await page.evaluate(() =>
    [...document.querySelectorAll('#gallery figure')].map((f) => {
      const [, given, truth] = f.querySelector('figcaption').textContent.match(/given (\d) · true (\d|–)/);
      const d = f.querySelector('canvas').getContext('2d').getImageData(0, 0, 28, 28).data;
      let ink = 0;
      for (let i = 0; i < d.length; i += 4) ink += d[i] < 128 ? 1 : 0;
      return { noisy: f.className === 'noisy', given, truth, ink };
    }),
  );
  assert.equal(gallery.length, 32);
  assert.ok(gallery.filter((g) => !g.noisy).every((g) => g.given === g.truth), 'a clean example keeps its label');
  // alpha = 5: five in six examples are noisy (a binomial 32 x 5/6 is below 18 with p < 1e-4).
  assert.ok(gallery.filter((g) => g.noisy).length >= 18, `${gallery.filter((g) => g.noisy).length} noisy of 32`);
  assert.ok(gallery.every((g) => g.ink > 30 && g.ink < 500), 'every image shows a digit');

  // Confusion matrix: all 10,000 test images, the diagonal is the accuracy.
  const matrix = await page.evaluate(() => [...document.querySelectorAll('#confusion tr')].slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))));
  assert.equal(matrix.length, 10);
  assert.ok(matrix.every((row) => row.length === 10));
  const total = matrix.flat().reduce((a, n) => a + n, 0);
  assert.equal(total, 10_000);
  assert.equal(matrix.reduce((a, row, i) => a + row[i], 0) / total, accuracy);

  // Copy link: the page's URL, which reopens the same setup. (The clipboard needs the focused
  // page; other test files' pages may hold the focus.)
  await page.bringToFront();
  await page.click('#copy-link');
  await page.waitForFunction(async (url) => (await navigator.clipboard.readText()) === url, page.url(), { timeout: 5000 }).catch(() => {});
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, page.url());
  for (const [name, value] of new URLSearchParams(SHORT)) assert.equal(new URL(link).searchParams.get(name), value);

  // The iframe snippet embeds the compact lab with the same setup.
  const snippet = await page.inputValue('#iframe-snippet');
  assert.match(snippet, /^<iframe src="[^"]+&embed=1" width="720" height="900" style="border:0" title="Label Noise Lab"><\/iframe>$/);
  const host = await context.newPage();
  await host.setContent(`<!doctype html><title>blog</title>${snippet}`);
  const frame = await (await host.waitForSelector('iframe')).contentFrame();
  await frame.waitForFunction(() => document.getElementById('run-status')?.dataset.state === 'ready', null, { timeout: 60_000 });
  assert.equal(await frame.isVisible('header'), false, 'embed mode');
  assert.equal(await frame.inputValue('#param-clean'), '2000');
  assert.equal(await frame.inputValue('#param-model'), 'mlp1');
  await shot(host, 'iframe-snippet');
  await context.close();
});
