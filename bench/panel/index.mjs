/**
 * Panel rendering benchmark (issue 6, "Panel rendering").
 *
 * The real Live Activity panel (dist/panel.js in the extension's own HTML shell and CSP,
 * served on loopback) in headless Debian Chromium, fed answers of 1,000 and 8,000 deltas of
 * realistic markdown (5–8 characters each) as fast as the panel takes them: one host message
 * per delta (`[{kind:'answer', …}]`, the form the extension posts; its PanelBatcher would
 * merge deltas, this is the worst case), the next one posted as soon as the panel's own
 * message handler has run. Nothing paces the feed but the panel itself.
 *
 * Anchor, same run, interleaved: the same panel built from the same sources with one change,
 * IncrementalMarkdown.render re-rendering the whole answer instead of only its tail
 * (bench/panel/naive-entry.mjs, bundled in memory with esbuild).
 *
 * Figures per answer: time until the last delta is visible (first post → the end of the frame
 * whose DOM holds the last delta), the longest frame (largest interval between animation
 * frames while streaming; long-animation-frame entries are kept for detail), the time spent
 * in the panel's render callbacks, JS heap after GC before/after (CDP), and the scaling
 * ratio T(8000) / (8 × T(1000)). Then 100,000 channel messages over 2,000 threads through
 * the real ActivityStore (maxThreads 50) → PanelBatcher → panel, heap after GC before/after.
 *
 *   const { tables, rows, json } = await run({ quick, rounds, log, root });
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerDeltas, END_MARKER, seeded, shortAnswer } from './corpus.mjs';
import { busyDuring, staleCompiled, waitForQuiet } from './machine.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_ROOT = resolve(HERE, '..', '..');
const CHROMIUM = process.env.WEATHER_CHROMIUM || '/usr/bin/chromium';

export const description = 'the real panel bundle in headless Chromium vs the same panel re-rendering the whole answer';

export const TARGETS = { scaling: 1.2, longestFrameMs: 50 };

const THEME_CSS = `:root {
  --vscode-font-family: system-ui, "Segoe UI", Ubuntu, "Droid Sans", sans-serif;
  --vscode-font-size: 13px;
  --vscode-editor-font-family: "DejaVu Sans Mono", "Droid Sans Mono", monospace;
  --vscode-editor-font-size: 12px;
  --vscode-foreground: #cccccc;
  --vscode-descriptionForeground: #9d9d9d;
  --vscode-sideBar-background: #181818;
  --vscode-editor-background: #1f1f1f;
  --vscode-panel-border: #2b2b2b;
  --vscode-widget-border: #313131;
  --vscode-textLink-foreground: #4daafc;
  --vscode-textBlockQuote-background: #2b2b2b;
  --vscode-textCodeBlock-background: #2b2b2b;
}
`;

const HEADER = { connection: 'connected', uri: 'ws://localhost:4000', channel: 'weather-update', hasApiKey: true, busy: false };

const WEATHER_JSON = JSON.stringify({
  location: 'Makati, Metro Manila, Philippines',
  latitude: 14.5547,
  longitude: 121.0244,
  temperature: 31.2,
  apparent_temperature: 36.4,
  humidity: 70,
  wind_speed: 12.3,
  condition: 'Partly cloudy',
  units: { system: 'metric', temperature: '°C', wind_speed: 'km/h', humidity: '%' },
  observed_at: '2025-06-01T04:15:00.000Z',
  source: 'open-meteo',
});

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (value, digits = 1) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : null);
const MiB = 1024 * 1024;

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
    }),
  ]);
}

// ---- build inputs -----------------------------------------------------------------------

function checkBuild(root) {
  const missing = ['dist/panel.js', 'dist/codicons/codicon.css', 'media/panel.css', 'out/src/activity/index.js', 'out/src/extension/webview-html.js'].filter(
    (file) => !existsSync(join(root, file)),
  );
  if (missing.length) throw new Error(`missing ${missing.join(', ')}: run \`npm run build && npx tsc -p .\` first`);
  const bundle = join(root, 'dist/panel.js');
  const bundleTime = statSync(bundle).mtimeMs;
  // Everything the bundle is built from: the panel's own sources and the protocol it imports.
  const sources = ['src/panel', 'src/protocol/panel'].flatMap((dir) =>
    readdirSync(join(root, dir))
      .filter((name) => name.endsWith('.ts'))
      .map((name) => `${dir}/${name}`),
  );
  const stale = sources.filter((file) => statSync(join(root, file)).mtimeMs > bundleTime);
  const staleOut = staleCompiled(root, ['src/activity', 'src/protocol', 'src/extension']);
  return { stale, staleOut };
}

/** The anchor bundle, built like scripts/build.mjs builds the panel (minified only if dist/panel.js is). */
async function buildNaiveBundle(root, minify) {
  const require = createRequire(join(root, 'package.json'));
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(HERE, 'naive-entry.mjs')],
    absWorkingDir: root,
    bundle: true,
    platform: 'browser',
    target: 'chrome120',
    format: 'iife',
    minify,
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0].contents;
}

// ---- loopback server: the extension's own HTML shell --------------------------------------

async function startServer(root, bundles, extraCss = '') {
  const require = createRequire(join(root, 'package.json'));
  const { renderPanelHtml, createNonce } = require(join(root, 'out/src/extension/webview-html.js'));
  const files = {
    '/dist/codicons/codicon.css': ['dist/codicons/codicon.css', 'text/css; charset=utf-8'],
    '/dist/codicons/codicon.ttf': ['dist/codicons/codicon.ttf', 'font/ttf'],
    '/media/panel.css': ['media/panel.css', 'text/css; charset=utf-8'],
  };
  const cache = new Map();
  let origin = '';
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    response.setHeader('Cache-Control', 'no-store');
    if (url.pathname === '/panel.html') {
      const variant = url.searchParams.get('variant') ?? 'ours';
      const html = renderPanelHtml({
        cspSource: origin,
        scriptUri: `${origin}/bundle/${variant}.js`,
        styleUris: [`${origin}/theme.css`, `${origin}/dist/codicons/codicon.css`, `${origin}/media/panel.css`],
        nonce: createNonce(),
      });
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    if (url.pathname === '/theme.css') {
      response.writeHead(200, { 'Content-Type': 'text/css; charset=utf-8' }).end(THEME_CSS + extraCss);
      return;
    }
    const bundle = /^\/bundle\/(\w+)\.js$/.exec(url.pathname)?.[1];
    if (bundle && bundles[bundle]) {
      response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(bundles[bundle]);
      return;
    }
    const known = files[url.pathname];
    if (known) {
      if (!cache.has(known[0])) cache.set(known[0], readFileSync(join(root, known[0])));
      response.writeHead(200, { 'Content-Type': known[1] }).end(cache.get(known[0]));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

// ---- in the page ----------------------------------------------------------------------------

/** Init script: runs before the panel's own script (init scripts are exempt from the CSP). */
function pageInit() {
  const state = { posted: [], loaf: [], longtasks: [], renderMs: [], timing: false, raf: window.requestAnimationFrame.bind(window) };
  Object.defineProperty(window, '__bench', { value: state });
  window.acquireVsCodeApi = () =>
    Object.freeze({
      postMessage: (message) => state.posted.push(message),
      getState: () => undefined,
      setState: () => undefined,
    });
  for (const type of ['long-animation-frame', 'longtask']) {
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          const record = { start: entry.startTime, duration: entry.duration };
          if (type === 'long-animation-frame') {
            record.blocking = entry.blockingDuration;
            record.renderStart = entry.renderStart;
            record.styleAndLayoutStart = entry.styleAndLayoutStart;
            record.scripts = (entry.scripts ?? []).map((s) => ({ invoker: s.invoker, duration: s.duration, forcedStyleAndLayout: s.forcedStyleAndLayoutDuration }));
            state.loaf.push(record);
          } else state.longtasks.push(record);
        }
      }).observe({ type, buffered: true });
    } catch {
      state[`no_${type}`] = true;
    }
  }
  // The panel renders answers only inside requestAnimationFrame callbacks: time each one.
  const nativeRaf = state.raf;
  window.requestAnimationFrame = (callback) =>
    nativeRaf((time) => {
      const started = performance.now();
      try {
        callback(time);
      } finally {
        if (state.timing) state.renderMs.push(performance.now() - started);
      }
    });
}

/**
 * Feeds `deltas` to the panel, one host message per delta, each posted as soon as the panel
 * handled the previous one, and resolves with what the page measured.
 */
function pageFeed({ threadId, deltas, marker, timeoutMs }) {
  const state = window.__bench;
  const box = [...document.querySelectorAll('.answer')].at(-1);
  if (!box) throw new Error('no answer box');
  return new Promise((resolve, reject) => {
    let next = 0;
    let domAt;
    let renders = 0;
    const frames = [];
    let finished = false;
    let timedOut = false;
    state.renderMs = [];
    state.timing = true;
    const loafBefore = state.loaf.length;
    const longBefore = state.longtasks.length;
    const post = () => window.postMessage([{ kind: 'answer', threadId, turnIndex: 0, append: deltas[next++] }], '*');
    // Added after the panel's own listener, so it runs right after the panel applied a delta.
    const onMessage = () => {
      if (next < deltas.length) post();
    };
    const finish = (error) => {
      if (finished) return;
      finished = true;
      const paintedAt = performance.now();
      state.timing = false;
      observer.disconnect();
      window.removeEventListener('message', onMessage);
      clearTimeout(guard);
      if (error) return reject(error);
      let longestFrame = 0;
      for (let i = 1; i < frames.length; i++) longestFrame = Math.max(longestFrame, frames[i] - frames[i - 1]);
      // The last frame: from its start to the end of its rendering.
      if (frames.length) longestFrame = Math.max(longestFrame, paintedAt - frames.at(-1));
      const loaf = state.loaf.slice(loafBefore).filter((e) => e.start + e.duration >= startedAt && e.start <= paintedAt);
      const longtasks = state.longtasks.slice(longBefore).filter((e) => e.start + e.duration >= startedAt && e.start <= paintedAt);
      const renderMs = state.renderMs;
      resolve({
        delivered: next,
        timedOut,
        domMs: domAt === undefined ? NaN : domAt - startedAt,
        visibleMs: paintedAt - startedAt,
        frames: frames.length,
        renders,
        longestFrameMs: longestFrame,
        renderTotalMs: renderMs.reduce((a, b) => a + b, 0),
        renderMaxMs: renderMs.reduce((a, b) => Math.max(a, b), 0),
        renderCallbacks: renderMs.length,
        loafCount: loaf.length,
        loafMaxMs: loaf.reduce((a, e) => Math.max(a, e.duration), 0),
        loafWorst: loaf.sort((a, b) => b.duration - a.duration).slice(0, 3),
        longtaskCount: longtasks.length,
        longtaskMaxMs: longtasks.reduce((a, e) => Math.max(a, e.duration), 0),
        textLength: box.textContent.length,
      });
    };
    const observer = new MutationObserver(() => {
      renders++;
      if (domAt !== undefined) return;
      const last = box.lastElementChild;
      if (next === deltas.length && last && last.textContent.includes(marker)) {
        domAt = performance.now();
        // A task posted now runs once this frame's style, layout and paint are done.
        const channel = new MessageChannel();
        channel.port1.onmessage = () => finish();
        channel.port2.postMessage(0);
      }
    });
    observer.observe(box, { childList: true, subtree: true, characterData: true });
    const onFrame = (time) => {
      if (finished) return;
      frames.push(time);
      state.raf(onFrame);
    };
    // Past the time limit the run ends where it is: the result says how far it got.
    const guard = setTimeout(() => {
      timedOut = true;
      finish();
    }, timeoutMs);
    window.addEventListener('message', onMessage);
    state.raf(onFrame);
    const startedAt = performance.now();
    post();
  });
}

/** Waits until the panel has applied what was posted and rendered a frame after it. */
function pageSettle() {
  return new Promise((done) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 0))), 0));
}

// ---- Node side ----------------------------------------------------------------------------

async function openPanel(browser, server, variant) {
  const context = await browser.newContext({ viewport: { width: 420, height: 800 }, deviceScaleFactor: 1, colorScheme: 'dark' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.addInitScript(pageInit);
  await page.goto(`${server.origin}/panel.html?variant=${variant}`);
  await page.waitForFunction(() => window.__bench.posted.some((message) => message.kind === 'ready'));
  const cdp = await context.newCDPSession(page);
  const post = async (batch) => {
    await page.evaluate((message) => window.postMessage(message, '*'), batch);
    await page.evaluate(pageSettle);
  };
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.collectGarbage');
    const usage = await cdp.send('Runtime.getHeapUsage');
    const dom = await cdp.send('Memory.getDOMCounters').catch(() => ({}));
    return { usedBytes: usage.usedSize, totalBytes: usage.totalSize, embedderBytes: usage.embedderHeapUsedSize, domNodes: dom.nodes, listeners: dom.jsEventListeners };
  };
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' }).catch(() => cdp.send('Performance.enable'));
  /** Renderer counters (seconds): main-thread CPU, and where task time went. */
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  await post([{ kind: 'snapshot', header: HEADER, threads: [] }]);
  return { context, page, cdp, post, heap, metrics, errors, close: () => context.close() };
}

function turnMessages(threadId, status = 'running') {
  return [
    { kind: 'thread', threadId, origin: 'local', undelivered: 0 },
    {
      kind: 'turn',
      threadId,
      turn: {
        index: 0,
        question: 'What is the weather in Makati today, and should I bring an umbrella?',
        startedAt: Date.now(),
        status,
      },
    },
    {
      kind: 'tool',
      threadId,
      turnIndex: 0,
      position: 0,
      tool: { key: 'call_1', message: 'Executing weather check for Makati', status: 'executed', durationMs: 412, result: WEATHER_JSON },
    },
  ];
}

async function feedAnswer(panel, threadId, answer, timeoutMs) {
  await panel.post(turnMessages(threadId));
  const before = await panel.metrics();
  const result = await withTimeout(
    panel.page.evaluate(pageFeed, { threadId, deltas: answer.deltas, marker: END_MARKER, timeoutMs }),
    timeoutMs + 5_000,
    `feeding ${answer.deltas.length} deltas`,
  );
  const after = await panel.metrics();
  const spent = (name) => (after[name] - before[name]) * 1000;
  // CPU time of the renderer's main thread (not wall time: immune to other processes), and
  // the wall time of its tasks by kind.
  result.cpu = {
    mainThreadMs: spent('ThreadTime'),
    processMs: spent('ProcessTime'),
    taskMs: spent('TaskDuration'),
    scriptMs: spent('ScriptDuration'),
    styleMs: spent('RecalcStyleDuration'),
    layoutMs: spent('LayoutDuration'),
    otherMs: spent('TaskOtherDuration'),
  };
  await panel.post(turnMessages(threadId, 'completed').slice(1));
  return result;
}

/** One measured answer in a fresh page: warm-up answer, clear, GC, heap, the answer, GC, heap. */
async function measureAnswer(browser, server, variant, answer, warmup, timeoutMs) {
  const panel = await openPanel(browser, server, variant);
  try {
    // Warm the JIT on a short answer first, so T(1000) is not mostly compile time.
    await feedAnswer(panel, 'thread_warmup', warmup, timeoutMs);
    await panel.post([{ kind: 'cleared' }]);
    const heapBefore = await panel.heap();
    const result = await feedAnswer(panel, 'thread_bench', answer, timeoutMs);
    const heapAfter = await panel.heap();
    const shown = await panel.page.evaluate(() => document.querySelector('.answer')?.textContent.length ?? 0);
    if (panel.errors.length) throw new Error(`page errors: ${panel.errors.join('; ')}`);
    return { ...result, shownChars: shown, heapBefore, heapAfter };
  } finally {
    await panel.close();
  }
}

/**
 * 100,000 channel messages over 2,000 threads (5 streaming at a time, 50 messages each: a tool
 * start, its result, 47 deltas, the completed answer) through the real ActivityStore with
 * maxThreads 50 → PanelBatcher (16 ms) → the panel. Heap after GC: empty panel, after the first
 * 10,000 messages (50 threads shown: the steady state) and after all 100,000.
 */
async function measureChannelFlood(root, browser, server, { messages, log }) {
  const require = createRequire(join(root, 'package.json'));
  const { ActivityStore, PanelBatcher } = require(join(root, 'out/src/activity/index.js'));
  const panel = await openPanel(browser, server, 'ours');
  const store = new ActivityStore({ maxThreads: 50 });
  let chain = Promise.resolve();
  let batches = 0;
  const batcher = new PanelBatcher((batch) => {
    batches++;
    chain = chain.then(() => panel.page.evaluate((message) => window.postMessage(message, '*'), batch));
  }, 16);
  store.on('change', (change) => batcher.push(change));
  const settle = async () => {
    batcher.flush();
    await chain;
    await panel.page.evaluate(pageSettle);
  };
  const nodeHeap = () => {
    globalThis.gc?.();
    return process.memoryUsage().heapUsed;
  };
  try {
    const random = seeded(11);
    const perThread = 50;
    const concurrent = 5;
    const chunk = 2000;
    const warmAt = 10_000;
    const heapEmpty = await panel.heap();
    let heapWarm;
    let nodeWarm;
    let sent = 0;
    let threadNo = 0;
    const started = performance.now();
    const streams = [];
    const newStream = () => {
      const threadId = `thread_${String(threadNo++).padStart(5, '0')}`;
      const deltas = shortAnswer(random, perThread - 3);
      const queue = [
        { message: 'Executing weather check for Makati', type: 'tool', status: 'started' },
        { message: WEATHER_JSON, type: 'tool', status: 'tool_executed' },
        ...deltas.map((delta) => ({ message: delta, type: 'response' })),
        { message: deltas.join(''), type: 'response', status: 'completed' },
      ];
      return { threadId, queue, seq: 0 };
    };
    for (let i = 0; i < concurrent; i++) streams.push(newStream());
    while (sent < messages) {
      for (let i = 0; i < chunk && sent < messages; i++) {
        const index = sent % concurrent;
        const stream = streams[index];
        const next = stream.queue.shift();
        store.ingest(
          { message: next.message, timestamp: Math.floor(Date.now() / 1000), thread_id: stream.threadId, ...(next.status ? { status: next.status } : {}), type: next.type, id: `m${sent}`, seq: stream.seq++ },
          'channel',
        );
        sent++;
        if (stream.queue.length === 0) streams[index] = newStream();
      }
      await settle();
      if (sent === warmAt) {
        heapWarm = await panel.heap();
        nodeWarm = nodeHeap();
      }
      if (sent % 20_000 === 0) log(`panel: channel flood ${sent.toLocaleString('en-US')} messages`);
    }
    const elapsedMs = performance.now() - started;
    const heapAfter = await panel.heap();
    const nodeAfter = nodeHeap();
    const shownThreads = await panel.page.evaluate(() => document.querySelectorAll('article.thread').length);
    if (panel.errors.length) throw new Error(`page errors: ${panel.errors.join('; ')}`);
    return {
      messages: sent,
      threads: threadNo,
      batches,
      elapsedMs,
      storeThreads: store.threadCount,
      shownThreads,
      heapEmpty,
      heapWarm,
      heapAfter,
      hostStoreHeap: globalThis.gc ? { warmBytes: nodeWarm, afterBytes: nodeAfter } : undefined,
    };
  } finally {
    batcher.discard();
    await panel.close();
  }
}

function exposeGc() {
  if (globalThis.gc) return;
  try {
    // Lets the host side of the flood be measured after GC without --expose-gc on the command line.
    const v8 = createRequire(import.meta.url)('node:v8');
    const vm = createRequire(import.meta.url)('node:vm');
    v8.setFlagsFromString('--expose-gc');
    globalThis.gc = vm.runInNewContext('gc');
  } catch {
    // no GC hook: the host-side store heap is left out
  }
}

/**
 * @param {object} [options]
 * @param {string} [options.root]     the repository (default: two levels up)
 * @param {boolean} [options.quick]   one round, 20,000 channel messages
 * @param {number} [options.rounds]   rounds of ours (default 5; quick 1); the anchor runs in the
 *                                    first 3 of them, its 8,000-delta answer (stopped at
 *                                    anchorLimitMs, default 20 s) in the first only
 * @param {number} [options.anchorLimitMs]
 * @param {(line: string) => void} [options.log]
 */
export async function run(options = {}) {
  const root = options.root ?? DEFAULT_ROOT;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const rounds = options.rounds ?? (options.quick ? 1 : 5);
  // The anchor is slow and its figures only need to be roughly right: fewer runs of it.
  const anchorRounds = Math.min(rounds, 3);
  const anchorRounds8000 = 1;
  const floodMessages = options.quick ? 20_000 : 100_000;
  const sizes = [1000, 8000];
  const timeoutMs = 90_000;
  const anchorLimitMs = options.anchorLimitMs ?? (options.quick ? 10_000 : 20_000);
  const startedAll = Date.now();
  const { stale, staleOut } = checkBuild(root);
  if (stale.length) log(`panel: WARNING dist/panel.js is older than ${stale.join(', ')}: run \`npm run build\``);
  if (staleOut.length) log(`panel: WARNING out/ is older than ${staleOut.slice(0, 5).join(', ')}${staleOut.length > 5 ? ', …' : ''}: run \`npm run compile\``);
  exposeGc();

  const oursBundle = readFileSync(join(root, 'dist/panel.js'));
  const minified = oursBundle.length > 0 && oursBundle.toString('utf8').split('\n').length < oursBundle.length / 2000;
  const naiveBundle = await buildNaiveBundle(root, minified);
  const bundles = { ours: oursBundle, naive: naiveBundle };
  const answers = Object.fromEntries(sizes.map((n) => [n, answerDeltas(n)]));
  const warmup = answerDeltas(300, 3);

  const { chromium } = createRequire(join(root, 'package.json'))('playwright-core');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium, or set WEATHER_CHROMIUM)`);
  const server = await startServer(root, bundles);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 20_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions'],
  });
  const runs = [];
  let flood;
  let browserVersion;
  try {
    browserVersion = browser.version();
    log(`panel: Chromium ${browserVersion}; ours = dist/panel.js (${(oursBundle.length / 1024).toFixed(0)} KiB${minified ? ', minified' : ''}), anchor = same sources with a whole-answer render (${(naiveBundle.length / 1024).toFixed(0)} KiB)`);
    for (let r = 0; r < rounds; r++) {
      for (const n of sizes) {
        const order = r % 2 === 0 ? ['ours', 'naive'] : ['naive', 'ours'];
        for (const variant of order) {
          if (variant === 'naive' && r >= (n === 8000 ? anchorRounds8000 : anchorRounds)) continue;
          const loadBefore = await waitForQuiet({ maxCores: 0.4, maxWaitMs: 2_000 });
          // The anchor's long answer is quadratic: it gets a time limit and is reported as "more than".
          const limit = variant === 'naive' && n === 8000 ? anchorLimitMs : timeoutMs;
          const { result, busyCores } = await busyDuring(() => measureAnswer(browser, server, variant, answers[n], warmup, limit));
          runs.push({ round: r, variant, deltas: n, loadBefore, busyCores, ...result });
          log(
            `panel: round ${r + 1}/${rounds} ${String(n).padStart(4)} deltas ${variant.padEnd(5)} visible ${result.timedOut ? `> ${result.visibleMs.toFixed(0)} ms (stopped: ${result.delivered}/${n} deltas posted)` : `${result.visibleMs.toFixed(0)} ms`}, longest frame ${result.longestFrameMs.toFixed(1)} ms, ` +
              `main-thread CPU ${result.cpu.mainThreadMs.toFixed(0)} ms (paint/composite ${result.cpu.otherMs.toFixed(0)}, script ${result.cpu.scriptMs.toFixed(0)}, layout ${result.cpu.layoutMs.toFixed(0)}), ` +
              `${result.frames} frames; machine load before ${Number.isFinite(loadBefore) ? loadBefore.toFixed(2) : '?'} cores`,
          );
        }
      }
    }
    log(`panel: channel flood: ${floodMessages.toLocaleString('en-US')} messages through ActivityStore(maxThreads 50) → PanelBatcher → panel`);
    flood = await measureChannelFlood(root, browser, server, { messages: floodMessages, log });
  } finally {
    await browser.close().catch(() => undefined);
    await server.close();
  }

  // ---- summarise: medians over rounds ----
  const of = (variant, n) => runs.filter((x) => x.variant === variant && x.deltas === n);
  const med = (variant, n, get) => median(of(variant, n).map(get));
  const summary = {};
  for (const variant of ['ours', 'naive']) {
    summary[variant] = {};
    for (const n of sizes) {
      summary[variant][n] = {
        runs: of(variant, n).length,
        /** Stopped at the time limit: the times are lower bounds. */
        timedOut: of(variant, n).some((x) => x.timedOut),
        delivered: Math.min(...of(variant, n).map((x) => x.delivered)),
        visibleMs: med(variant, n, (x) => x.visibleMs),
        domMs: med(variant, n, (x) => x.domMs),
        longestFrameMs: med(variant, n, (x) => x.longestFrameMs),
        longestFrameWorstMs: Math.max(...of(variant, n).map((x) => x.longestFrameMs)),
        frames: med(variant, n, (x) => x.frames),
        renders: med(variant, n, (x) => x.renders),
        renderCallbacksMs: med(variant, n, (x) => x.renderTotalMs),
        renderMaxMs: med(variant, n, (x) => x.renderMaxMs),
        mainThreadCpuMs: med(variant, n, (x) => x.cpu.mainThreadMs),
        scriptMs: med(variant, n, (x) => x.cpu.scriptMs),
        styleMs: med(variant, n, (x) => x.cpu.styleMs),
        layoutMs: med(variant, n, (x) => x.cpu.layoutMs),
        paintCompositeMs: med(variant, n, (x) => x.cpu.otherMs),
        loafMaxMs: med(variant, n, (x) => x.loafMaxMs),
        heapBeforeMiB: med(variant, n, (x) => x.heapBefore.usedBytes / MiB),
        heapAfterMiB: med(variant, n, (x) => x.heapAfter.usedBytes / MiB),
        domNodesAfter: med(variant, n, (x) => x.heapAfter.domNodes),
        machineLoadBefore: med(variant, n, (x) => x.loadBefore),
      };
    }
    summary[variant].scaling = summary[variant][8000].visibleMs / (8 * summary[variant][1000].visibleMs);
    summary[variant].scalingCpu = summary[variant][8000].mainThreadCpuMs / (8 * summary[variant][1000].mainThreadCpuMs);
  }

  const floodWarm = flood.heapWarm.usedBytes;
  const floodAfter = flood.heapAfter.usedBytes;
  // Flat: after all the messages the heap is within 10% (or 1 MiB) of the steady state at 10k.
  const floodFlat = floodAfter <= Math.max(floodWarm * 1.1, floodWarm + MiB) && flood.shownThreads <= 50 && flood.storeThreads <= 50;
  const domFlat = flood.heapAfter.domNodes <= Math.max(flood.heapWarm.domNodes * 1.1, flood.heapWarm.domNodes + 500);

  const ms = (v) => round(v, 1);
  const o = summary.ours;
  const a = summary.naive;
  const rows = [];
  // A time-limited anchor run gives bounds: "more than" its time, "less than" our ratio to it.
  const more = (value, bounded) => (bounded && value !== null ? `> ${value.toLocaleString('en-US', { maximumFractionDigits: 2 })}` : value);
  const less = (value, bounded) => (bounded && value !== null ? `< ${value.toLocaleString('en-US', { maximumFractionDigits: 2 })}` : value);
  for (const n of sizes) {
    const name = `answer, ${n.toLocaleString('en-US')} deltas`;
    const cut = a[n].timedOut;
    rows.push({
      case: name,
      metric: cut ? `last delta visible (anchor stopped at ${(a[n].visibleMs / 1000).toFixed(0)} s, ${a[n].delivered.toLocaleString('en-US')} deltas in)` : 'last delta visible',
      value: ms(o[n].visibleMs),
      unit: 'ms',
      anchor: more(ms(a[n].visibleMs), cut),
      ratio: less(round(o[n].visibleMs / a[n].visibleMs, 3), cut),
    });
    rows.push({
      case: name,
      metric: 'longest frame',
      value: ms(o[n].longestFrameMs),
      unit: 'ms',
      anchor: ms(a[n].longestFrameMs),
      ratio: round(o[n].longestFrameMs / a[n].longestFrameMs, 2),
      target: `≤ ${TARGETS.longestFrameMs} ms`,
      pass: o[n].longestFrameMs <= TARGETS.longestFrameMs,
    });
    for (const [metric, key] of [
      ['renderer main-thread CPU', 'mainThreadCpuMs'],
      ['… of which paint + composite', 'paintCompositeMs'],
      ['… in the render callbacks (markdown → DOM)', 'renderCallbacksMs'],
    ]) {
      rows.push({ case: name, metric, value: ms(o[n][key]), unit: 'ms', anchor: more(ms(a[n][key]), cut), ratio: less(round(o[n][key] / a[n][key], 3), cut) });
    }
    rows.push({
      case: name,
      metric: 'JS heap after GC, before → after',
      value: `${round(o[n].heapBeforeMiB, 2)} → ${round(o[n].heapAfterMiB, 2)}`,
      unit: 'MiB',
      anchor: `${round(a[n].heapBeforeMiB, 2)} → ${round(a[n].heapAfterMiB, 2)}`,
    });
  }
  const rate = (variant) => summary[variant][8000].delivered / (summary[variant][8000].visibleMs / 1000);
  rows.push({ case: 'answer, 8,000 deltas', metric: 'deltas shown per second', value: Math.round(rate('ours')), unit: '/s', anchor: Math.round(rate('naive')), ratio: round(rate('ours') / rate('naive'), 1) });
  rows.push({
    case: 'answer, 1,000 → 8,000 deltas',
    metric: 'scaling T(8000) / (8 × T(1000))',
    value: round(o.scaling, 2),
    unit: '',
    anchor: more(round(a.scaling, 2), a[8000].timedOut),
    ratio: less(round(o.scaling / a.scaling, 2), a[8000].timedOut),
    target: `≤ ${TARGETS.scaling}`,
    pass: o.scaling <= TARGETS.scaling,
  });
  // The same ratio on the renderer's main-thread CPU time: wall time on a 2-core machine also
  // depends on when the compositor threads get a core (T(1000) varies ~2× from run to run);
  // CPU time does not, so it is held to the same target.
  rows.push({
    case: 'answer, 1,000 → 8,000 deltas',
    metric: 'same, on main-thread CPU time',
    value: round(o.scalingCpu, 2),
    unit: '',
    anchor: more(round(a.scalingCpu, 2), a[8000].timedOut),
    ratio: less(round(o.scalingCpu / a.scalingCpu, 2), a[8000].timedOut),
    target: `≤ ${TARGETS.scaling}`,
    pass: o.scalingCpu <= TARGETS.scaling,
  });
  const floodCase = `${flood.messages.toLocaleString('en-US')} channel messages, ${flood.threads.toLocaleString('en-US')} threads`;
  rows.push({
    case: floodCase,
    metric: 'panel JS heap after GC: empty → 10k → end',
    value: `${round(flood.heapEmpty.usedBytes / MiB, 2)} → ${round(floodWarm / MiB, 2)} → ${round(floodAfter / MiB, 2)}`,
    unit: 'MiB',
    ratio: round(floodAfter / floodWarm, 2),
    target: 'flat after 10k (≤ +10% or +1 MiB)',
    pass: floodFlat,
  });
  rows.push({
    case: floodCase,
    metric: 'panel Blink (DOM) heap: 10k → end',
    value: `${round(flood.heapWarm.embedderBytes / MiB, 2)} → ${round(flood.heapAfter.embedderBytes / MiB, 2)}`,
    unit: 'MiB',
    ratio: round(flood.heapAfter.embedderBytes / flood.heapWarm.embedderBytes, 2),
  });
  rows.push({ case: floodCase, metric: 'throughput, store → panel rendered', value: Math.round(flood.messages / (flood.elapsedMs / 1000)), unit: 'messages/s' });
  rows.push({
    case: floodCase,
    metric: 'panel DOM nodes: 10k → end',
    value: `${flood.heapWarm.domNodes} → ${flood.heapAfter.domNodes}`,
    unit: 'nodes',
    ratio: round(flood.heapAfter.domNodes / flood.heapWarm.domNodes, 2),
    target: 'flat',
    pass: domFlat,
  });
  if (flood.hostStoreHeap) {
    rows.push({
      case: floodCase,
      metric: 'host heap (store + batcher) after GC: 10k → end',
      value: `${round(flood.hostStoreHeap.warmBytes / MiB, 2)} → ${round(flood.hostStoreHeap.afterBytes / MiB, 2)}`,
      unit: 'MiB',
      ratio: round(flood.hostStoreHeap.afterBytes / flood.hostStoreHeap.warmBytes, 2),
    });
  }
  const seconds = (Date.now() - startedAll) / 1000;
  const title = `Panel rendering — medians of ${rounds} round${rounds > 1 ? 's' : ''}, anchor interleaved (${seconds.toFixed(0)} s)`;
  const fmtCell = (v) => (v === undefined || v === null ? '' : typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(v));
  const naive8000Runs = a[8000].runs;
  const tables = [
    {
      title,
      columns: ['case', 'metric', 'ours', 'anchor', 'ours ÷ anchor', 'target', 'result'],
      align: ['l', 'l', 'r', 'r', 'r', 'l', 'l'],
      rows: rows.map((row) => [
        row.case,
        row.metric,
        `${fmtCell(row.value)}${row.unit ? ` ${row.unit}` : ''}`,
        row.anchor === undefined ? '' : `${fmtCell(row.anchor)}${row.unit ? ` ${row.unit}` : ''}`,
        row.ratio === undefined || row.ratio === null ? '' : `${fmtCell(row.ratio)}×`,
        row.target ?? '',
        row.pass === undefined ? '' : row.pass ? 'PASS' : 'FAIL',
      ]),
      notes: [
        `Chromium ${browserVersion} headless (software compositing), 420×800 viewport; ours = dist/panel.js in the extension's HTML shell and CSP. Anchor = the same sources with IncrementalMarkdown.render re-rendering the whole answer (bench/panel/naive-entry.mjs), run ${a[1000].runs}× at 1,000 deltas and ${naive8000Runs}× at 8,000${a[8000].timedOut ? ` (stopped after ${Math.round(anchorLimitMs / 1000)} s: its figures are bounds)` : ''}.`,
        `Feed: one [{kind:"answer"}] message per 5–8-character delta (${answers[1000].text.length.toLocaleString('en-US')} / ${answers[8000].text.length.toLocaleString('en-US')} characters of markdown), the next posted as soon as the panel handled the previous one: no host-side merging, the worst case. Both variants coalesce rendering per animation frame.`,
        'Visible = first delta posted → end of the frame whose DOM holds the last delta. Longest frame = largest gap between animation frames while streaming. CPU = the renderer main thread\'s CPU time (CDP Performance.getMetrics ThreadTime; "paint + composite" = TaskOtherDuration). Heap = V8 used heap after two forced GCs.',
        `Channel flood: ${flood.messages.toLocaleString('en-US')} seed-format messages (per thread: tool start, result, 47 deltas, completed; 5 threads interleaved) through ActivityStore(maxThreads 50) → PanelBatcher(16 ms) → panel in ${(flood.elapsedMs / 1000).toFixed(1)} s; threads kept: store ${flood.storeThreads}, panel ${flood.shownThreads}.`,
      ],
    },
  ];
  return {
    title,
    rows,
    tables,
    json: {
      rounds,
      seconds,
      chromium: browserVersion,
      bundle: { ours: 'dist/panel.js', oursBytes: oursBundle.length, minified, naiveBytes: naiveBundle.length, staleSources: stale, staleCompiled: staleOut },
      answers: Object.fromEntries(sizes.map((n) => [n, { deltas: n, characters: answers[n].text.length }])),
      targets: TARGETS,
      summary,
      flood,
      runs,
      rows,
    },
  };
}

export const _internals = { startServer, buildNaiveBundle, openPanel, feedAnswer, turnMessages, pageFeed, answerDeltas, measureChannelFlood };

// `node bench/panel/index.mjs [--quick]` runs this benchmark alone.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await run({ quick: process.argv.includes('--quick') });
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result.json, null, 2)}\n`);
  else {
    for (const table of result.tables) {
      process.stdout.write(`## ${table.title}\n`);
      for (const row of table.rows) process.stdout.write(`${row.join(' | ')}\n`);
      for (const note of table.notes ?? []) process.stdout.write(`  ${note}\n`);
    }
  }
}
