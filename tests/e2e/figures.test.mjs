// A figure preset swept in parallel workers: per-point progress, the summary chart with the
// paper's points, finished points surviving a reload, and a killed worker not stopping the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { open, shot, sharedBrowser, palette } from './harness.mjs';

const lab = sharedBrowser();

const sweepState = (page) => page.evaluate(() => ({ ...document.getElementById('sweep-status').dataset }));

async function chooseFigure(page) {
  await page.waitForSelector('#figure-preset option[value="noisy-images"]', { state: 'attached' });
  await page.selectOption('#figure-preset', 'noisy-images');
  await page.selectOption('#figure-scale', 'quick');
}

test('a quick figure runs in 2 workers, keeps finished points over a reload, and survives a killed worker', async () => {
  const context = await lab.b.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${lab.srv.origin}/`);
  await chooseFigure(page);
  assert.equal((await sweepState(page)).total, '6');
  // Before any point: the paper's claim, its check waiting for the points.
  assert.equal(await page.getAttribute('#figure-checks', 'data-verdict'), 'not checked (points missing)');
  assert.match(await page.textContent('#figure-claim'), /^The paper's claim: re-used and never-seen noisy images hurt about equally\.$/);
  assert.match(await page.textContent('#figure-check-list'), /^repeated vs novel at alpha=20 \(within 2 points counts as equal\): not trained yet; judged when trained: waits$/);
  assert.equal(await page.isVisible('#figure-full'), false, 'nothing to set beside the full scale yet');
  await page.fill('#figure-workers', '2');
  await page.click('#figure-run');
  await page.waitForFunction(() => document.querySelectorAll('#figure-points li.running').length === 2, null, { timeout: 60_000 });
  await page.waitForFunction(() => Number(document.getElementById('sweep-status').dataset.done) >= 1, null, { timeout: 300_000 });
  await page.locator('#figures').screenshot({ path: 'target/screenshots/figure-running.png' });

  // Reload mid-sweep: the finished points are still there, the rest can be resumed.
  const before = Number((await sweepState(page)).done);
  await page.reload();
  await chooseFigure(page);
  const kept = await sweepState(page);
  assert.ok(Number(kept.done) >= before, `kept ${kept.done} of the ${before} finished points`);
  assert.equal(kept.state, 'idle');
  await page.click('#figure-run');
  await page.waitForFunction(() => document.querySelectorAll('#figure-points li.running').length === 2, null, { timeout: 60_000 });

  // Kill one sweep worker mid-point: its point fails, a fresh worker and the other carry on.
  await page.waitForFunction(() => /: [1-9]\d?%/.test([...document.querySelectorAll('#figure-points li.running')].map((li) => li.textContent).join(' ')), null, { timeout: 60_000 });
  const sweepWorker = page.workers().filter((w) => w.url().endsWith('/worker.js')).at(-1);
  await sweepWorker.evaluate(() => self.close());
  await page.waitForFunction(() => document.querySelectorAll('#figure-points li.failed').length === 1, null, { timeout: 60_000 });
  await page.waitForFunction(() => document.getElementById('sweep-status').dataset.state !== 'running', null, { timeout: 400_000 });
  const afterKill = await sweepState(page);
  assert.equal(afterKill.failed, '1');
  assert.equal(Number(afterKill.done), 5, 'every other point finished');

  // Run retries just the failed point.
  await page.click('#figure-run');
  await page.waitForFunction(() => document.getElementById('sweep-status').dataset.state === 'done', null, { timeout: 300_000 });
  const final = await sweepState(page);
  assert.deepEqual([final.done, final.total, final.failed], ['6', '6', '0']);
  await page.locator('#figures').screenshot({ path: 'target/screenshots/figure-done.png' });
  await shot(page, 'figures-page');
  // Every point trained: the check is judged on them, with the numbers.
  assert.match(await page.getAttribute('#figure-checks', 'data-verdict'), /^claim (not )?reproduced$/);
  assert.match(await page.textContent('#figure-check-list'), /^repeated vs novel at alpha=20 \(within 2 points counts as equal\): \d+\.\d vs \d+\.\d, \d+\.\d points apart: (holds|does not hold)$/);
  assert.match(await page.textContent('#figure-verdict'), /^Verdict on these points: claim (not )?reproduced \([01] of 1 checks hold; 6 runs trained\)\. One seed a point: choose 3 seeds to see the spread a verdict should rest on\.$/);
  // Beside it, the same check on the lab's committed full-scale results, as REPRODUCTION.md
  // judges it there: the quick figure should give the full scale's ordering.
  const fullReport = fs.readFileSync('REPRODUCTION.md', 'utf8').split('\n## ').find((s) => s.startsWith('Re-used vs never-seen'));
  const atFull = /^- repeated vs novel at alpha=20 .*: \**(holds|does not hold)\**$/m.exec(fullReport)[1];
  const atQuick = / (holds|does not hold)$/.exec(await page.textContent('#figure-check-list'))[1];
  const same = atQuick === atFull;
  assert.equal(await page.isVisible('#figure-full'), true);
  assert.equal(await page.textContent('#figure-full'), `The same checks on the lab's full-scale results (REPRODUCTION.md), whose orderings a quick figure should give (as at full scale: ${same ? 1 : 0} of 1 check):`);
  assert.equal(await page.textContent('#figure-full-list'), `repeated vs novel at alpha=20 (within 2 points counts as equal): quick ${atQuick}, full ${atFull}: ${same ? 'as at full scale' : 'not as at full scale'}`);

  // The summary chart has our two curves and the paper's markers in the first two palette colours.
  const colours = (await palette(page)).slice(0, 2);
  const counts = await page.evaluate((colours) => {
    const c = document.getElementById('figure-chart');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const near = ([r, g, bl]) => {
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - bl) < 40) n++;
      return n;
    };
    return colours.map(near);
  }, colours);
  assert.ok(counts.every((n) => n > 300), `series pixels ${counts}`);
  assert.match(await page.textContent('#figure-note'), /quick scale/);
  await context.close();
});

test('Cancel stops a running figure: its workers end, nothing more finishes, Run resumes it', async () => {
  const context = await lab.b.newContext();
  const page = await context.newPage();
  await page.goto(`${lab.srv.origin}/`);
  await chooseFigure(page);
  await page.fill('#figure-workers', '2');
  await page.click('#figure-run');
  await page.waitForFunction(() => document.querySelectorAll('#figure-points li.running').length === 2, null, { timeout: 60_000 });
  const workers = () => page.workers().filter((w) => w.url().endsWith('/worker.js')).length;
  const running = workers();
  await page.click('#figure-cancel');
  const cancelled = await sweepState(page);
  assert.equal(cancelled.state, 'idle');
  assert.equal(await page.locator('#figure-points li.running').count(), 0, 'no point shows as running');
  assert.equal(await page.isDisabled('#figure-cancel'), true);
  assert.equal(await page.isDisabled('#figure-run'), false);
  // Give a not-really-stopped worker the time to finish a point: nothing may change.
  await page.waitForTimeout(4000);
  assert.equal((await sweepState(page)).done, cancelled.done, 'no point finished after Cancel');
  assert.ok(workers() <= running - 2, `sweep workers ended (${running} before, ${workers()} after)`);
  await page.click('#figure-run');
  await page.waitForFunction(() => document.querySelectorAll('#figure-points li.running').length === 2, null, { timeout: 60_000 });
  await page.click('#figure-cancel');

  // Three seeds per point: three times the points, each named by its seed.
  await page.selectOption('#figure-seeds', '3');
  assert.equal((await sweepState(page)).total, '18');
  assert.match(await page.textContent('#figure-points'), /seed 3/);
  await page.selectOption('#figure-scale', 'full');
  assert.equal(await page.inputValue('#figure-seeds'), '3', 'the full scale runs every seed');
  await context.close();
});

test('a CSV written by the command line (or a cluster) imports into its figure; a bad one is a message', async () => {
  const context = await lab.b.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${lab.srv.origin}/`);
  await page.waitForSelector('#figure-preset option[value="uniform"]', { state: 'attached' });
  await page.selectOption('#figure-preset', 'uniform');
  await page.selectOption('#figure-scale', 'full');
  const total = (await sweepState(page)).total;
  // The committed full-scale results: every row is a point of the full uniform figure.
  const csv = fs.readFileSync('reproduction/uniform-full.csv', 'utf8').trim().split('\n');
  const rows = csv.length - 1;
  await page.setInputFiles('#figure-import', 'reproduction/uniform-full.csv');
  await page.waitForFunction(() => document.getElementById('figure-import-status').dataset.state, null, { timeout: 10_000 });
  assert.match(await page.textContent('#figure-import-status'), new RegExp(`${rows} points of this figure imported`));
  const state = await sweepState(page);
  assert.deepEqual([state.done, state.total, state.state], [String(rows), total, 'idle']);
  assert.match(await page.textContent('#figure-points'), /mlp2 · alpha=100 · seed 1: \d+\.\d% \(imported\)/);
  // The claim's checks on the imported points are the report's, to the word (both computed by
  // the core from the same committed CSV: REPRODUCTION.md is regenerated with it).
  const report = fs.readFileSync('REPRODUCTION.md', 'utf8').split('\n## ').find((s) => s.startsWith('Uniform label noise'));
  const reported = report.split('\n').filter((l) => l.startsWith('- ')).map((l) => l.slice(2).replace(/\*\*/g, ''));
  const shown = await page.locator('#figure-check-list li').allTextContents();
  assert.ok(reported.length >= 10, `${reported}`);
  assert.deepEqual(shown, reported);
  const verdict = /\*\*Verdict: (.*)\*\* \((.*)\)\./.exec(report);
  assert.equal(await page.textContent('#figure-verdict'), `Verdict on these points: ${verdict[1]} (${verdict[2]}).`);
  if (csv.some((l) => l.startsWith('conv4,'))) assert.match(await page.textContent('#figure-points'), /conv4 · alpha=0 · seed 1: \d+\.\d% \(imported\)/);
  // 165 points fold into a line per series saying how many are finished; a series opens on a
  // click and stays open when the panel redraws.
  const mlp2 = page.locator('#figure-points li.series', { hasText: /^mlp2:/ });
  assert.equal(await page.locator('#figure-points li.series').count(), 5);
  assert.equal(await page.locator('#figure-points details[open]').count(), 0, 'a large figure starts folded');
  // The count comes from the committed CSV, which grows as the sweeps finish points.
  const mlp2Rows = csv.filter((l) => l.startsWith('mlp2,')).length;
  assert.equal(await mlp2.locator('summary').textContent(), `mlp2: ${mlp2Rows} of 33 finished`);
  assert.equal(await mlp2.locator('li.done').first().isVisible(), false);
  await mlp2.locator('summary').click();
  await page.setViewportSize({ width: 1200, height: 900 }); // a resize redraws the panel
  await page.waitForTimeout(200);
  assert.equal(await mlp2.locator('li.done').first().isVisible(), true, 'the opened series stays open');
  await page.locator('#figures').screenshot({ path: 'target/screenshots/figure-imported-full.png' });
  // Kept like trained points: still there after a reload.
  await page.reload();
  await page.waitForSelector('#figure-preset option[value="uniform"]', { state: 'attached' });
  await page.selectOption('#figure-preset', 'uniform');
  await page.selectOption('#figure-scale', 'full');
  assert.equal((await sweepState(page)).done, String(rows));

  // Rows of another figure are counted, not shown; a file that is no sweep CSV is a message.
  await page.selectOption('#figure-scale', 'quick');
  await page.setInputFiles('#figure-import', { name: 'other.csv', mimeType: 'text/csv', buffer: fs.readFileSync('reproduction/compare-methods-quick.csv') });
  await page.waitForFunction(() => /other\.csv/.test(document.getElementById('figure-import-status').textContent));
  assert.match(await page.textContent('#figure-import-status'), /other\.csv: 0 points of this figure imported, \d+ rows of other points left out/);
  await page.setInputFiles('#figure-import', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('series,alpha,test_accuracy\nmlp1,twenty,0.5\n') });
  await page.waitForFunction(() => /bad\.csv/.test(document.getElementById('figure-import-status').textContent));
  assert.equal(await page.getAttribute('#figure-import-status', 'data-state'), 'error');
  assert.match(await page.textContent('#figure-import-status'), /bad\.csv: not imported: bad CSV: its columns are series, alpha, test_accuracy but a sweep's are series, the swept parameter, test_accuracy, epochs/);
  await page.selectOption('#figure-scale', 'full');
  await page.click('#figure-clear');
  assert.equal((await sweepState(page)).done, '0', 'the page still works');
  await context.close();
});
