#!/usr/bin/env node
/**
 * Diagnostic, not part of `npm run bench`: the panel benchmark's answer feed (ours only) with
 * extra CSS appended to the page, to see what a styling change would do to the per-frame cost.
 *
 *   node bench/panel/what-if.mjs [variants] [sizes] [rounds]
 *   node bench/panel/what-if.mjs none,cv,nopre 1000,8000 3
 *
 * variants: none (media/panel.css as is), cv (content-visibility: auto on finished answer
 * blocks), nopre (code blocks not scroll containers), or CSS=<rules>.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _internals as I } from './index.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PRESETS = {
  none: '',
  cv: '.answer > div > div { content-visibility: auto; contain-intrinsic-size: auto 300px; }',
  nopre: 'pre { overflow-x: visible !important; }',
};
const variants = (process.argv[2] ?? 'none,cv').split(',');
const sizes = (process.argv[3] ?? '1000,8000').split(',').map(Number);
const rounds = Math.min(Number(process.argv[4] ?? 2), 10);
const css = (v) => (v.startsWith('CSS=') ? v.slice(4) : PRESETS[v] ?? (() => { throw new Error(`unknown variant ${v}`); })());

const { chromium } = createRequire(join(root, 'package.json'))('playwright-core');
const ours = readFileSync(join(root, 'dist/panel.js'));
const servers = {};
const browser = await chromium.launch({ executablePath: process.env.WEATHER_CHROMIUM || '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  for (const v of variants) servers[v] = await I.startServer(root, { ours }, css(v));
  const results = {};
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      for (const n of sizes) {
        const panel = await I.openPanel(browser, servers[v], 'ours');
        try {
          await I.feedAnswer(panel, 'thread_warmup', I.answerDeltas(300, 3), 60_000);
          await panel.post([{ kind: 'cleared' }]);
          const x = await I.feedAnswer(panel, 'thread_bench', I.answerDeltas(n), 60_000);
          (results[`${v} ${n}`] ??= []).push(x);
          console.log(
            `${v.padEnd(8)} ${String(n).padStart(5)}: visible ${x.visibleMs.toFixed(0).padStart(5)} ms, ${String(x.frames).padStart(4)} frames, longest ${x.longestFrameMs.toFixed(1).padStart(6)} ms | ` +
              `main-thread CPU ${x.cpu.mainThreadMs.toFixed(0).padStart(5)} ms: script ${x.cpu.scriptMs.toFixed(0)}, style ${x.cpu.styleMs.toFixed(0)}, layout ${x.cpu.layoutMs.toFixed(0)}, paint+composite ${x.cpu.otherMs.toFixed(0)}`,
          );
        } finally {
          await panel.close();
        }
      }
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  if (sizes.includes(1000) && sizes.includes(8000)) {
    for (const v of variants) {
      const t = (n, get) => median(results[`${v} ${n}`].map(get));
      console.log(
        `${v.padEnd(8)} scaling T(8000)/(8×T(1000)): wall ${(t(8000, (x) => x.visibleMs) / (8 * t(1000, (x) => x.visibleMs))).toFixed(2)}, ` +
          `main-thread CPU ${(t(8000, (x) => x.cpu.mainThreadMs) / (8 * t(1000, (x) => x.cpu.mainThreadMs))).toFixed(2)}`,
      );
    }
  }
} finally {
  await browser.close();
  for (const server of Object.values(servers)) await server.close();
}
