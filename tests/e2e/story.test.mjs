// The guided story (story.html): every section's mini-lab trains with its defaults in the shared
// worker and draws the reader's point beside the paper's; predict-then-run records the guess and
// shows it; a section embeds on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { open, shot, sharedBrowser } from './harness.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');

const lab = sharedBrowser();
const SECTIONS = ['baseline', 'uniform', 'depth', 'structured', 'clean-size', 'batch'];
const labState = (page, id) => page.evaluate((id) => ({ ...document.querySelector(`#${id} .mini-lab`).dataset }), id);

test('every section runs its mini-lab; the guess is recorded and shown beside the result', async () => {
  const { page, errors } = await open(lab.b, `${lab.srv.origin}/story.html`, { width: 1100, height: 900 });
  await page.waitForFunction(() => document.getElementById('story-status').dataset.state === 'ready', null, { timeout: 60_000 });
  assert.deepEqual(await page.$$eval('.chapter', (cs) => cs.map((c) => c.id)), SECTIONS);
  // Predict, then run: the run button waits for the guess.
  assert.equal(await page.isDisabled('#uniform-run'), true, 'no run before a guess');
  // (once the full-scale results have arrived: the depth section shows them)
  await page.waitForFunction(() => document.getElementById('depth-chart').dataset.legend.includes('the lab at full scale'), null, { timeout: 30_000 });
  assert.doesNotMatch(await page.evaluate(() => document.getElementById('uniform-chart').dataset.legend), /the paper|full scale/, 'no reference points before the guess');
  await page.fill('#uniform-guess', '35');
  await page.click('#uniform-lock');
  assert.equal((await labState(page, 'uniform')).guess, '0.35');
  const legend = await page.evaluate(() => document.getElementById('uniform-chart').dataset.legend);
  assert.match(legend, /your guess/);
  assert.match(legend, /the paper/, 'the guess reveals the reference points');
  for (const id of SECTIONS) {
    const started = Date.now();
    await page.click(`#${id}-run`);
    await page.waitForFunction((id) => ['done', 'error'].includes(document.querySelector(`#${id} .mini-lab`).dataset.state), id, { timeout: 120_000 });
    const state = await labState(page, id);
    assert.equal(state.state, 'done', `${id}: ${await page.textContent(`#${id} .mini-result`)}`);
    assert.ok(Number(state.accuracy) > 0.2, `${id}: ${state.accuracy} is well above chance`);
    // The chart's text alternative lists the reader's point (and the paper's where it has one).
    const rows = await page.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => tr.textContent));
    assert.ok(rows.length >= 1, `${id}: the table lists the points`);
    console.log(`${id}: ${state.accuracy} in ${((Date.now() - started) / 1000).toFixed(1)} s; ${rows.join(' / ')}`);
  }
  assert.match(await page.textContent('#uniform .mini-result'), /^You guessed 35%; the network got \d+\.\d%/);
  for (const id of ['uniform', 'depth', 'clean-size', 'batch']) {
    assert.match(await page.evaluate((id) => document.getElementById(`${id}-chart`).dataset.legend, id), /the paper/, `${id} shows the paper's points`);
  }
  // Beside them, the lab's own full-scale runs of the same network and noise: the committed
  // CSV's mean over seeds (computed here from the file the page fetched), with a note saying
  // what they are.
  const fullMean = (file, series, x) => {
    const rows = fs.readFileSync(path.join(ROOT, 'www/data/full-scale', file), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const accuracies = rows.filter((r) => r[0] === series && Number(r[1]) === x).map((r) => Number(r[2]));
    assert.ok(accuracies.length >= 1, `${file} has ${series} at ${x}`);
    return `${((accuracies.reduce((a, b) => a + b, 0) / accuracies.length) * 100).toFixed(1)}%`;
  };
  const shownFull = (id, x) => page.$$eval(`#${id} tbody tr`, (trs, x) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)).find(([s, at]) => s === 'the lab at full scale' && at === x)?.[2], x);
  for (const [id, x, file, series, at] of [['baseline', '5', 'uniform-full.csv', 'mlp2', 0], ['uniform', '50', 'uniform-full.csv', 'mlp2', 50], ['depth', 'mlp4', 'uniform-full.csv', 'mlp4', 20], ['structured', '0.50', 'structured-full.csv', 'confusion', 0.5]]) {
    assert.equal(await shownFull(id, x), fullMean(file, series, at), `${id}: the lab's full-scale point at ${x}`);
    assert.match(await page.textContent(`#${id} .mini-note`), /^The lab at full scale: the same network and noise at the paper's size/);
  }
  assert.equal(await page.textContent('#batch .mini-note'), '', 'no full-scale runs of the batch section\'s MLP2');
  await shot(page, 'story-desktop');
  for (const id of SECTIONS) await page.locator(`#${id}`).screenshot({ path: `target/screenshots/story-${id}.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a story section embeds on its own', async () => {
  const { page, errors } = await open(lab.b, `${lab.srv.origin}/story.html?section=depth&embed=1`, { width: 720, height: 640 });
  await page.waitForFunction(() => document.getElementById('story-status').dataset.state !== 'loading', null, { timeout: 60_000 });
  assert.deepEqual(await page.$$eval('.chapter', (cs) => cs.map((c) => c.id)), ['depth']);
  assert.equal(await page.isVisible('header'), false);
  const { page: bad } = await open(lab.b, `${lab.srv.origin}/story.html?section=nope`);
  await bad.waitForFunction(() => document.getElementById('story-status').dataset.state === 'error', null, { timeout: 60_000 });
  assert.match(await bad.textContent('#story-status'), /no section "nope"; the sections are baseline, uniform/);
  assert.deepEqual(errors, []);
  await page.close();
  await bad.close();
});
