/**
 * A hostile publisher floods the channel: 50,000 tool messages into one thread, then
 * 10,000 one-message threads, with oversized ids and texts, fed through the real
 * ActivityStore → PanelBatcher → the real panel in headless Chromium. The host's retained
 * heap, the bytes it posts to the panel, and the panel's DOM stay bounded, and the
 * panel still answers clicks, keys and new turns afterwards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_MAX_THREADS,
  MAX_EVENT_ID_LENGTH,
  MAX_REMEMBERED_IDS,
  MAX_RETAINED_CHARS,
  MAX_TOOLS_PER_TURN,
  TEXT_LIMITS,
  type ChannelPayload,
  type EventStatus,
  type PayloadType,
} from '../../src/protocol';
import { retainedHeapBytes } from '../support/heap';
import { failOnUnhandledRejections } from '../support/unhandled';
import { PanelHost, usePanels, type PanelPage } from './harness';

failOnUnhandledRejections();

const TIMEOUT = 120_000;
const MIB = 2 ** 20;
/** What the store may keep: its texts (≤ 2 bytes a character) and the ids it remembers. */
const STORE_BOUND_BYTES = 2 * MAX_RETAINED_CHARS + 2 * MAX_REMEMBERED_IDS * MAX_EVENT_ID_LENGTH;
/** Room for everything else a test process allocates and keeps (playwright, compiled code). */
const SLACK_BYTES = 4 * MIB;
/** A panel with 50 threads, one turn each, or one turn with all its cards, is far below this. */
const MAX_DOM_NODES = 2_000;

/** A seed payload as the client hands it over: decoded from JSON, so every string is its own copy. */
function payload(threadId: string, type: PayloadType, message: string, status: EventStatus | undefined, extra: Record<string, string> = {}): ChannelPayload {
  const built = { message, timestamp: 1_700_000_000, thread_id: threadId, ...extra } as ChannelPayload;
  if (status !== undefined) built.status = status;
  built.type = type;
  return JSON.parse(JSON.stringify(built)) as ChannelPayload;
}

/**
 * Ingests `total` channel payloads; after 200, 1,000 and then every `step` of them (small
 * first steps, so old unbounded code fails fast) delivers what is queued and checks that
 * the bytes posted to the panel so far are within `bound()`. Returns those bytes and the
 * growth of this process's retained heap.
 */
async function flood(host: PanelHost, total: number, step: number, make: (i: number) => ChannelPayload, bound: () => number) {
  const heapBefore = retainedHeapBytes();
  const bytesBefore = host.postedBytes;
  const checks = new Set([200, 1_000, total]);
  for (let n = step; n < total; n += step) checks.add(n);
  for (let i = 0; i < total; i++) {
    host.store.ingest(make(i), 'channel');
    if (!checks.has(i + 1)) continue;
    await host.settle();
    const bytes = host.postedBytes - bytesBefore;
    assert.ok(bytes <= bound(), `after ${i + 1} messages the host posted ${bytes} bytes (bound ${bound()})`);
  }
  const heapGrowth = retainedHeapBytes() - heapBefore;
  assert.ok(heapGrowth <= STORE_BOUND_BYTES + SLACK_BYTES, `host heap grew by ${(heapGrowth / MIB).toFixed(1)} MiB`);
  return { bytes: host.postedBytes - bytesBefore, heapGrowth };
}

describe('a hostile publisher flooding the channel', () => {
  const panels = usePanels();

  async function connectedHost() {
    const panel = await panels.newPanel();
    const host = new PanelHost(panel);
    host.keepBatches = false;
    await host.connect();
    return { panel, host };
  }

  async function assertStillResponds(panel: PanelPage, host: PanelHost) {
    const { page } = panel;
    const domNodes = await page.evaluate(() => document.getElementsByTagName('*').length);
    assert.ok(domNodes <= MAX_DOM_NODES, `${domNodes} DOM nodes in the panel`);
    const toolbar = page.getByRole('toolbar', { name: 'Weather Assistant actions' });
    const postedBefore = (await panel.posted()).length;
    await toolbar.getByRole('button', { name: 'Ask' }).click();
    await toolbar.getByRole('button', { name: 'New Chat' }).focus();
    await page.keyboard.press('Enter');
    assert.deepEqual((await panel.posted()).slice(postedBefore).map((message) => message.kind), ['ask', 'newChat']);
    host.store.startLocalTurn('thread_after_flood', 'Is the panel still there?');
    host.store.ingest(payload('thread_after_flood', 'response', 'Yes, **still here**.', 'completed'), 'local');
    await host.settle();
    const fresh = page.getByRole('article', { name: 'Thread thread_after_flood' });
    assert.equal(await fresh.locator('.question').textContent(), 'Is the panel still there?');
    assert.equal(await fresh.locator('.answer strong').textContent(), 'still here');
    assert.equal(await page.locator('article.thread').last().getAttribute('aria-label'), 'Thread thread_after_flood', 'at the foot');
    assert.deepEqual(panel.pageErrors, []);
    return domNodes;
  }

  test('50,000 tool messages into one thread: one capped turn, the rest counted, bytes and heap bounded', { timeout: TIMEOUT }, async () => {
    const { panel, host } = await connectedHost();
    const total = 50_000;
    // Each card travels at most twice (started, result), each at its limits; one header per batch.
    const cardBytes = TEXT_LIMITS.toolMessage + TEXT_LIMITS.toolResult + TEXT_LIMITS.toolCallId + 200;
    const bytesBound = () => MAX_TOOLS_PER_TURN * 2 * cardBytes + host.postedBatches * 1_000;
    const result = JSON.stringify({ location: 'Nowhere', temperature: 1, filler: 'r'.repeat(3_000) });
    const { bytes, heapGrowth } = await flood(host, total, 2_500, (i) => {
      const call = Math.floor(i / 2);
      const extra = { tool_call_id: `call_${call}_${'c'.repeat(300)}`, id: `event_${i}_${'i'.repeat(300)}` };
      return i % 2 === 0
        ? payload('flood', 'tool', `Executing weather check for ${'X'.repeat(480)} ${call}`, 'started', extra)
        : payload('flood', 'tool', result, 'tool_executed', extra);
    }, bytesBound);
    assert.ok(host.store.retainedChars <= MAX_RETAINED_CHARS);

    const { page } = panel;
    const thread = page.getByRole('article', { name: 'Thread flood' });
    assert.equal(await thread.locator('.turn').count(), 1);
    assert.equal(await thread.locator('.tool').count(), MAX_TOOLS_PER_TURN);
    const omitted = total - 2 * MAX_TOOLS_PER_TURN;
    assert.equal(await thread.locator('.omitted').textContent(), `${omitted} more tool events not shown`);
    assert.equal(await thread.locator('.tool.executed').count(), MAX_TOOLS_PER_TURN, 'each shown card got its own result');
    const domNodes = await assertStillResponds(panel, host);
    console.log(
      `50,000 tool messages: ${(bytes / 1024).toFixed(0)} KiB posted in ${host.postedBatches} batches, host heap +${(heapGrowth / MIB).toFixed(2)} MiB, ` +
        `store ${host.store.retainedChars} chars, ${domNodes} DOM nodes`,
    );
  });

  test('10,000 one-message threads with oversized ids: 50 threads kept, ids cut, bytes and heap bounded', { timeout: TIMEOUT }, async () => {
    const { panel, host } = await connectedHost();
    const total = 10_000;
    const maxThreads = DEFAULT_MAX_THREADS;
    // Per batch at most the 50 threads kept (marker, header, answer) and the removal of the 50 the panel had.
    const perThread = 4 * (TEXT_LIMITS.threadId + 300) + 200;
    const bytesBound = () => host.postedBatches * maxThreads * perThread;
    const { bytes, heapGrowth } = await flood(
      host,
      total,
      1_000,
      (i) => payload(`t${i}_${'T'.repeat(4_000)}`, 'response', `Answer ${i}: ${'a'.repeat(150)}`, undefined, { id: `${i}_${'I'.repeat(4_000)}` }),
      bytesBound,
    );
    assert.equal(host.store.threadCount, maxThreads);

    const { page } = panel;
    assert.equal(await page.locator('article.thread').count(), maxThreads);
    const shownIds = await page.locator('article.thread .thread-title code').allTextContents();
    assert.ok(shownIds.every((id) => id.length === TEXT_LIMITS.threadId + 1 && id.endsWith('…')), 'thread ids are cut to their limit');
    assert.ok(shownIds.at(-1)!.startsWith(`t${total - 1}_`), 'the newest thread at the foot');
    const domNodes = await assertStillResponds(panel, host);
    console.log(
      `10,000 one-message threads: ${(bytes / 1024).toFixed(0)} KiB posted in ${host.postedBatches} batches, host heap +${(heapGrowth / MIB).toFixed(2)} MiB, ` +
        `store ${host.store.retainedChars} chars, ${domNodes} DOM nodes`,
    );
  });
});
