// What a teacher and every reader need: hide= shapes an embed (values kept), the embed builder
// previews and writes the snippet, the drawing pad reads a drawn stroke and a real test image,
// the first layer's templates and the confusion matrix update during training (a cell shows its
// images), the page fits a 390 px phone, and axe-core finds no accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { open, waitState, shot, sharedBrowser } from './harness.mjs';

const lab = sharedBrowser();
const AXE = fs.readFileSync(path.resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js'), 'utf8');

test('hide= hides exactly the named controls and keeps their values; the embed builder writes and previews the snippet', async () => {
  const { page, errors } = await open(lab.b, `${lab.srv.origin}/?optimizer=sgd&lr=0.02&alpha=7&hide=optimizer,lr,colour`);
  await page.waitForSelector('.control[data-param="lr"]', { state: 'attached' });
  const hiddenRows = await page.$$eval('.control', (rows) => rows.filter((r) => r.hidden).map((r) => r.dataset.param));
  assert.deepEqual(hiddenRows, ['optimizer', 'lr']);
  assert.equal(await page.isVisible('#param-alpha'), true);
  assert.match(await page.textContent('#notices'), /hide: no control named colour/);
  assert.doesNotMatch(await page.textContent('#notices'), /unknown parameter/, 'hide is the page\'s own parameter');
  // A visible control's change keeps the hidden values and the hide list in the URL.
  await page.evaluate(() => {
    const alpha = document.getElementById('param-alpha');
    alpha.value = 9;
    alpha.dispatchEvent(new Event('input'));
  });
  const q = new URL(page.url()).searchParams;
  assert.deepEqual([q.get('optimizer'), q.get('lr'), q.get('alpha'), q.get('hide')], ['sgd', '0.02', '9', 'optimizer,lr,colour']);
  // The builder: hide two controls, embed the chart only, then a story section.
  await page.click('#embed-builder summary');
  await page.check('#embed-hide-seed');
  await page.check('#embed-hide-batch');
  await page.selectOption('#embed-what', 'chart');
  const snippet = await page.inputValue('#iframe-snippet');
  assert.match(snippet, /&hide=batch,seed&view=chart&embed=1" width="720" height="560"/);
  const preview = page.frameLocator('#embed-preview');
  await preview.locator('body.view-chart #chart').waitFor();
  assert.equal(await preview.locator('#controls').isVisible(), false, 'the chart-only view');
  assert.equal(await preview.locator('#play').isVisible(), true);
  await page.locator('#embed-builder').screenshot({ path: 'target/screenshots/embed-builder.png' });
  await page.selectOption('#embed-what', 'story:batch');
  assert.match(await page.inputValue('#iframe-snippet'), /story\.html\?section=batch&embed=1"/);
  await preview.locator('body.story #batch').waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('during training the templates and the confusion matrix update; after a run on heavy noise the pad reads a stroke and a real test image', async () => {
  // 95% of labels wrong: alpha = 20, one noisy example in ten has its class by chance.
  const { page, errors } = await open(lab.b, `${lab.srv.origin}/?model=perceptron&clean=10000&alpha=20&epochs=2&seed=2&autostart=1`, { width: 1280, height: 900 });
  await page.waitForFunction(() => document.querySelectorAll('#templates canvas').length === 10, null, { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelectorAll('#confusion td').length === 100 && document.getElementById('run-status').dataset.state === 'training', null, { timeout: 60_000 });
  const during = await page.textContent('#confusion-note');
  assert.match(during, /on 2,000 test images/, 'a live point\u2019s matrix');
  const first = await page.evaluate(() => document.querySelector('#templates canvas').toDataURL());
  assert.equal((await waitState(page, ['done', 'error'])).state, 'done');
  assert.match(await page.textContent('#confusion-note'), /on 10,000 test images/);
  assert.notEqual(await page.evaluate(() => document.querySelector('#templates canvas').toDataURL()), first, 'the templates changed while training');

  // A confusion cell shows its test images; the first 7 read as 7 goes onto the pad.
  await page.click('#confusion tr:nth-child(9) td:nth-child(9)');
  await page.waitForSelector('#cell-examples canvas');
  assert.match(await page.textContent('#cell-examples p'), /^True 7, predicted 7:/);
  await page.evaluate(() => {
    const pad = document.getElementById('pad');
    const ctx = pad.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(document.querySelector('#cell-examples canvas'), 0, 0, pad.width, pad.height);
    pad.dispatchEvent(new Event('input'));
  });
  await page.waitForFunction(() => document.getElementById('pad-verdict').dataset.digit !== undefined, null, { timeout: 10_000 });
  assert.equal(await page.evaluate(() => document.getElementById('pad-verdict').dataset.digit), '7', await page.textContent('#pad-verdict'));

  // A stroke drawn with pointer events (a 1: one vertical line) is read as some digit, with ten probabilities.
  await page.click('#pad-clear');
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const box = await page.locator('#pad').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + 30);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 4, box.y + box.height - 30, { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction(() => document.getElementById('pad-verdict').dataset.digit !== undefined, null, { timeout: 10_000 });
  const probabilities = await page.$$eval('#pad-probabilities li', (lis) => lis.map((li) => parseFloat(li.lastChild.textContent)));
  assert.equal(probabilities.length, 10);
  assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 100) < 1, `${probabilities}`);
  await page.locator('#drawing').screenshot({ path: 'target/screenshots/drawing-pad-after-noisy-run.png' });
  // The keyboard draws too: Delete clears, Space lowers the pen, arrows draw a line that is read.
  await page.focus('#pad');
  await page.keyboard.press('Delete');
  assert.equal(await page.evaluate(() => document.getElementById('pad-verdict').dataset.digit), undefined);
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Space');
  for (let k = 0; k < 6; k++) await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.getElementById('pad-verdict').dataset.digit !== undefined, null, { timeout: 10_000 });
  await page.locator('#templates').screenshot({ path: 'target/screenshots/weight-templates.png' });
  assert.deepEqual(errors, []);
  await page.close();
});

for (const [name, url, width] of [['the lab', '/?model=mlp1&width=64&clean=2000&alpha=5&epochs=1&autostart=1', 390], ['the story', '/story.html', 390]]) {
  test(`${name} fits a 390 px phone: no horizontal overflow, every chart inside the viewport`, async () => {
    const context = await lab.b.newContext({ viewport: { width, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await context.newPage();
    await page.goto(`${lab.srv.origin}${url}`);
    if (name === 'the lab') {
      await waitState(page, ['done', 'error']);
      // The figure panel judged too: a quick figure's committed points imported, its checks and
      // their full-scale counterparts listed.
      await page.selectOption('#figure-preset', 'batch-size');
      await page.selectOption('#figure-scale', 'quick');
      await page.selectOption('#figure-seeds', '3');
      await page.setInputFiles('#figure-import', 'reproduction/batch-size-quick.csv');
      await page.waitForFunction(() => !document.getElementById('figure-full').hidden, null, { timeout: 20_000 });
    } else await page.waitForFunction(() => document.getElementById('story-status').dataset.state === 'ready', null, { timeout: 60_000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${overflow} px of horizontal overflow`);
    const outside = await page.$$eval('canvas', (cs) => cs.filter((c) => c.getBoundingClientRect().width > 0).filter((c) => c.getBoundingClientRect().right > window.innerWidth + 0.5 || c.getBoundingClientRect().left < -0.5).map((c) => c.id || c.className));
    assert.deepEqual(outside, [], 'every chart fits');
    if (name === 'the lab') {
      // The training examples' captions: each on one line, still read out in full.
      const captions = await page.$$eval('#gallery figcaption', (cs) => cs.map((c) => ({ text: c.textContent, lines: c.getBoundingClientRect().height / parseFloat(getComputedStyle(c).fontSize) })));
      assert.equal(captions.length, 32);
      assert.ok(captions.every((c) => c.lines < 2 && /^given \d · true [\d–]$/.test(c.text)), JSON.stringify(captions.slice(0, 3)));
    }
    await page.screenshot({ path: `target/screenshots/phone-${name.replace(' ', '-')}.png`, fullPage: true });
    // The charts alone, to look at their legends (a phone's plot is small for a legend box).
    if (name === 'the lab') for (const id of ['chart', 'memorisation-chart']) await page.locator(`#${id}`).screenshot({ path: `target/screenshots/phone-${id}.png` });
    await context.close();
  });
}

for (const [name, url] of [['the lab', '/?model=mlp1&width=64&clean=2000&alpha=5&epochs=1&method=coteach&autostart=1'], ['the story', '/story.html']]) {
  test(`axe-core finds no accessibility violations on ${name}`, async () => {
    const context = await lab.b.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${lab.srv.origin}${url}`);
    if (name === 'the lab') await waitState(page, ['done', 'error']);
    else await page.waitForFunction(() => document.getElementById('story-status').dataset.state === 'ready', null, { timeout: 60_000 });
    await page.evaluate(AXE);
    const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const report = violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
    assert.deepEqual(report, []);
    await context.close();
  });
}

test('every heatmap shade keeps its number readable: text against cell at least 4.5:1 (WCAG AA)', async () => {
  // axe judges the shades one run happens to show; this sweeps every shade of both palettes.
  const context = await lab.b.newContext();
  const page = await context.newPage();
  await page.goto(`${lab.srv.origin}/`);
  // The palette comes from the wasm: wait until the page has initialised it (the figure list is
  // filled from it).
  await page.waitForSelector('#figure-preset option[value="uniform"]', { state: 'attached' });
  const worst = await page.evaluate(async () => {
    const { heatCell, colorOf } = await import('./ui.js');
    const luminance = (rgb) => {
      const lin = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
    };
    const parse = (css) => css.match(/[\d.]+/g).map(Number);
    let worst = { ratio: Infinity };
    for (const series of [0, 3]) {
      for (let k = 0; k <= 100; k++) {
        const td = document.createElement('td');
        document.body.append(td);
        heatCell(td, colorOf(series), k / 100);
        const [r, g, b, a = 1] = parse(getComputedStyle(td).backgroundColor);
        const cell = luminance([r, g, b].map((c) => 255 + (c - 255) * a));
        const text = luminance(parse(getComputedStyle(td).color));
        const ratio = (Math.max(cell, text) + 0.05) / (Math.min(cell, text) + 0.05);
        if (ratio < worst.ratio) worst = { ratio, series, alpha: k / 100 };
        td.remove();
      }
    }
    return worst;
  });
  assert.ok(worst.ratio >= 4.5, `series ${worst.series} at ${worst.alpha}: ${worst.ratio.toFixed(2)}:1`);
  await context.close();
});
