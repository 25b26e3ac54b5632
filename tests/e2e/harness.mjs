// Serves www/ on a loopback port and drives Debian's headless Chromium with playwright-core.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { before, after } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '../..');
const WWW = path.join(ROOT, 'www');
// The benchmark's and the crash test's additions to the site (see `hooks` below).
const HOOKS = path.join(ROOT, 'tests/hooks');
const HOOKS_PKG = path.join(ROOT, 'target/hooks-pkg');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.gz': 'application/octet-stream' };
export const SHOTS = path.resolve(import.meta.dirname, '../../target/screenshots');

/**
 * With `hooks`, the site as the benchmark and the crash test need it: the wasm built with the
 * `bench` feature (target/hooks-pkg), tests/hooks/worker-hooks.js appended to the worker and
 * tests/hooks/bench.html. Otherwise exactly www/, the product.
 */
function hooked(pathname) {
  if (pathname.startsWith('/pkg/')) return { file: path.join(HOOKS_PKG, pathname.slice(5)) };
  if (pathname === '/worker.js') {
    const body = fs.readFileSync(path.join(WWW, 'worker.js'), 'utf8') + '\n' + fs.readFileSync(path.join(HOOKS, 'worker-hooks.js'), 'utf8');
    return { status: 200, body, type: 'text/javascript' };
  }
  if (pathname === '/bench.html' || pathname === '/bench.js') return { file: path.join(HOOKS, pathname.slice(1)) };
  return null;
}

/**
 * A plain static server (what any static host does). `override(path)` may replace a response
 * (`{status, body, type}`), serve another file (`{file}`) or hold it back until a promise settles
 * (`{wait}`). With `cors`, every response allows any origin (as GitHub Pages does).
 */
export async function serve(override = () => null, { cors = false, hooks = false } = {}) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    let special = override(url.pathname) ?? (hooks ? hooked(url.pathname) : null);
    if (special?.wait) {
      await special.wait;
      special = hooks ? hooked(url.pathname) : null;
    }
    if (cors) res.setHeader('access-control-allow-origin', '*');
    if (special && !special.file) {
      res.writeHead(special.status, { 'content-type': special.type || 'application/octet-stream' });
      return res.end(special.body);
    }
    const file = special?.file ?? path.join(WWW, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ''));
    const target = file.endsWith(path.sep) ? path.join(file, 'index.html') : file;
    fs.readFile(target, (err, body) => {
      if (err) {
        res.writeHead(404);
        return res.end('not found');
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(target)] || 'application/octet-stream' });
      res.end(body);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  server.unref(); // a failed test must not keep the test process alive
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

export async function browser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page that records every request URL and console error. */
export async function open(b, url, viewport = { width: 1280, height: 860 }) {
  const page = await b.newPage({ viewport });
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, requests, errors };
}

export async function waitState(page, states, timeout = 120_000) {
  await page.waitForFunction((s) => s.includes(document.getElementById('run-status').dataset.state), states, { timeout });
  return page.evaluate(() => ({ ...document.getElementById('run-status').dataset }));
}

export async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** One static server and one browser for a test file: `ctx.srv` and `ctx.b` once `before` ran. */
export function sharedBrowser() {
  const ctx = {};
  before(async () => {
    ctx.srv = await serve();
    ctx.b = await browser();
  });
  after(async () => {
    await ctx.b?.close();
    ctx.srv?.server.close();
  });
  return ctx;
}

/** The core's series palette (src/experiments/chart.rs), as the page has it. */
export async function palette(page) {
  return page.evaluate(async () => JSON.parse((await import('./pkg/label_noise_lab.js')).palette()));
}
