// The anchor panel: the real panel (src/panel/main.ts: same view, same per-frame coalescing,
// same markdown-it + DOMPurify settings) with ONE change: IncrementalMarkdown.render re-renders
// the whole answer's markdown every time, instead of only the tail after the last final block.
// Bundled in memory by bench/panel/index.mjs with esbuild (never shipped).
import { IncrementalMarkdown, renderMarkdown } from '../../src/panel/markdown';
import '../../src/panel/main';

// Runs synchronously right after main.ts's module body, before any message or animation
// frame can reach the view (render() is only ever called from requestAnimationFrame).
IncrementalMarkdown.prototype.render = function renderWholeAnswer() {
  // `text` and `tail` are the class's own (TypeScript-private) fields.
  this.tail.innerHTML = renderMarkdown(this.text);
};
