// The training methods in the page: each trains in the worker; the memorisation chart and the
// loss histogram draw and update during a run; estimated forward correction shows T and T-hat;
// the compare-methods figure runs in 2 workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, waitState, shot, sharedBrowser } from './harness.mjs';

const lab = sharedBrowser();
const SMALL = 'model=mlp1&width=64&clean=2000&noise=symmetric&epsilon=0.5&epochs=2&seed=3';

test('every method trains in the page and beats chance', async () => {
  const { page, errors } = await open(lab.b, `${lab.srv.origin}/?${SMALL}`);
  await waitState(page, ['ready']);
  const methods = await page.$$eval('#param-method option', (os) => os.map((o) => o.value));
  assert.deepEqual(methods, ['ce', 'smoothing', 'bootstrap', 'gce', 'forward', 'coteach']);
  for (const method of methods) {
    await page.selectOption('#param-method', method);
    // Only the chosen method's own settings are enabled.
    const enabled = await page.$$eval('#controls fieldset:has(legend:text("Method")) .control:not(.disabled)', (rows) => rows.map((r) => r.dataset.param));
    const own = { smoothing: ['smoothing'], bootstrap: ['bootstrap-beta'], gce: ['gce-q'], forward: ['transition'], coteach: ['forget-epochs'] }[method] || [];
    assert.deepEqual(enabled, ['method', ...own], method);
    assert.match(page.url(), new RegExp(`method=${method}`));
    await page.click('#play');
    const status = await waitState(page, ['done', 'error']);
    assert.equal(status.state, 'done', `${method}: ${await page.textContent('#status-text')}`);
    assert.ok(Number(status.testAccuracy) > 0.5, `${method}: ${status.testAccuracy}`);
  }
  assert.equal((await page.textContent('#runs')).match(/·/g).length, methods.length, 'one run per method on the chart');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the memorisation chart and loss histogram update during a co-teaching run', async () => {
  const q = 'model=mlp1&width=128&clean=10000&noise=symmetric&epsilon=0.6&epochs=6&method=coteach&seed=2';
  const { page, errors } = await open(lab.b, `${lab.srv.origin}/?${q}&autostart=1`);
  const labels = (id) => page.evaluate((id) => document.getElementById(id).dataset.xLabels || '', id);
  await page.waitForFunction(() => /Sample: [\d,]+ right/.test(document.getElementById('memorisation-note').textContent), null, { timeout: 60_000 });
  const early = await page.textContent('#memorisation-note');
  const earlyTitle = await page.evaluate(() => document.getElementById('loss-histogram').toDataURL());
  assert.ok((await labels('memorisation-chart')).length > 0, 'the memorisation chart has axes');
  const status = await waitState(page, ['done', 'error']);
  assert.equal(status.state, 'done');
  const late = await page.textContent('#memorisation-note');
  assert.match(late, /Co-teaching keeps examples whose labels are right \d+\.\d% of the time/);
  assert.match(late, /Early stopping on a held-out noisy split would stop at epoch \d\.\d\d/);
  assert.notEqual(await page.evaluate(() => document.getElementById('loss-histogram').toDataURL()), earlyTitle, 'the histogram was redrawn');
  assert.notEqual(late, early);
  // The early-stop cross is on the main chart's legend.
  assert.match(await page.evaluate(() => document.getElementById('chart').dataset.legend || ''), /early stop/);
  await shot(page, 'memorisation-coteach');
  await page.locator('#memorisation').screenshot({ path: 'target/screenshots/memorisation-panel.png' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('estimated forward correction trains twice and shows T beside T-hat', async () => {
  const q = 'model=mlp1&width=64&clean=5000&noise=pair&epsilon=0.3&epochs=2&method=forward&transition=estimated&seed=1';
  const { page, errors } = await open(lab.b, `${lab.srv.origin}/?${q}&autostart=1`);
  await page.waitForFunction(() => /epoch [\d.]+ \/ 4/.test(document.getElementById('status-detail').textContent), null, { timeout: 60_000 });
  assert.equal((await waitState(page, ['done', 'error'])).state, 'done');
  assert.equal(await page.isVisible('#transitions'), true);
  const cells = (id) => page.$$eval(`#${id} td`, (tds) => tds.map((td) => Number(td.textContent)));
  const truth = await cells('transition-true');
  const estimate = await cells('transition-estimate');
  assert.equal(truth.length, 100);
  // Pair flips at 30%: 70 on the diagonal and 30 beside it, in percent.
  assert.deepEqual([truth[0], truth[1], truth[11], truth[12]], [70, 30, 70, 30]);
  // T-hat is rough (a 2-epoch plain run): its diagonal leads, and the pair flip is most rows'
  // largest wrong label.
  assert.ok(estimate.filter((v, i) => i % 11 === 0).every((d) => d >= 30), `T-hat's diagonal: ${estimate}`);
  const flipFound = [...Array(10).keys()].filter((y) => {
    const row = estimate.slice(10 * y, 10 * y + 10);
    return row.every((v, j) => j === y || v <= row[(y + 1) % 10]);
  }).length;
  assert.ok(flipFound >= 7, `the flip leads in ${flipFound} rows: ${estimate}`);
  await page.locator('#transitions').screenshot({ path: 'target/screenshots/transition-heatmaps.png' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the compare-methods figure runs in 2 workers', async () => {
  const { page, errors } = await open(lab.b, `${lab.srv.origin}/`, { width: 1280, height: 900 });
  await page.waitForSelector('#figure-preset option[value="compare-methods"]', { state: 'attached' });
  await page.selectOption('#figure-preset', 'compare-methods');
  await page.selectOption('#figure-scale', 'quick');
  await page.selectOption('#figure-seeds', '1');
  await page.fill('#figure-workers', '2');
  const total = Number(await page.evaluate(() => document.getElementById('sweep-status').dataset.total));
  assert.equal(total, 21, '7 methods x 3 flip rates');
  await page.click('#figure-run');
  await page.waitForFunction(() => document.querySelectorAll('#figure-points li.running').length === 2, null, { timeout: 60_000 });
  await page.waitForFunction(() => document.getElementById('sweep-status').dataset.state !== 'running', null, { timeout: 900_000 });
  const state = await page.evaluate(() => ({ ...document.getElementById('sweep-status').dataset }));
  assert.equal(state.done, '21', JSON.stringify(state));
  const x = await page.evaluate(() => document.getElementById('figure-chart').dataset.xLabels);
  assert.match(x, /0\.2/);
  await page.locator('#figures').screenshot({ path: 'target/screenshots/figure-compare-methods.png' });
  assert.deepEqual(errors, []);
  await page.close();
});
