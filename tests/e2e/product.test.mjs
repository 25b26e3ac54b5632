// The site in www/ is only the product: its wasm has no benchmark or crash hooks and its files
// name none, while the test build (target/hooks-pkg, feature `bench`) has them, so this check
// can fail. The hooks' exports and a message string that only src/bench.rs contains are looked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const wasm = (dir) => fs.readFileSync(path.join(ROOT, dir, 'label_noise_lab_bg.wasm'));
const exportsOf = (bytes) => WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
// A message of `bench::steps`: present in a build exactly when the benchmark code is.
const BENCH_TEXT = Buffer.from('do not fit in one epoch');
const HOOK_EXPORTS = /bench|crash|gemm|offsets/i;

test('the page wasm has no benchmark or crash hooks; the test build has them', () => {
  const product = wasm('www/pkg');
  const hooks = wasm('target/hooks-pkg');
  assert.deepEqual(exportsOf(product).filter((n) => HOOK_EXPORTS.test(n)), []);
  assert.equal(product.includes(BENCH_TEXT), false, 'src/bench.rs is compiled into the page wasm');
  assert.ok(exportsOf(hooks).includes('crash_test') && exportsOf(hooks).includes('lab_bench'), 'the test build lacks its hooks');
  assert.ok(hooks.includes(BENCH_TEXT), 'the test build lacks the benchmark code');
  assert.ok(exportsOf(product).includes('lab_train_for') && exportsOf(product).includes('parameters'), 'the product exports what the page uses');
});

test('the site deploys no benchmark page and no hook', () => {
  const files = fs.readdirSync(path.join(ROOT, 'www'), { recursive: true }).filter((f) => /\.(js|html)$/.test(f));
  assert.ok(files.includes('index.html') && files.includes('worker.js'));
  assert.deepEqual(files.filter((f) => /bench/.test(f)), []);
  for (const f of files) {
    const text = fs.readFileSync(path.join(ROOT, 'www', f), 'utf8');
    assert.doesNotMatch(text, /crash_test|crash-test|lab\.bench|\bbench\(/, `www/${f} carries a hook`);
  }
});
