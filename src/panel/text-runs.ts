/**
 * Bounds Chromium's line-breaking work on long text. A long run without spaces but with
 * break opportunities (zero-width spaces, hyphens, soft hyphens) is re-shaped from each
 * line break to its end, so laying out 60,000 such characters takes seconds: one hostile
 * answer could freeze the panel. Shaping stops at text-node boundaries, so long text
 * nodes are split into pieces of at most `max` characters, at grapheme boundaries. The
 * text, its rendering and what is copied stay the same.
 */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export const MAX_TEXT_NODE_LENGTH = 500;

export function splitLongTextNodes(root: Node, max = MAX_TEXT_NODE_LENGTH): void {
  const walker = root.ownerDocument!.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const long: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if ((node as Text).length > max) long.push(node as Text);
  }
  for (let node of long) {
    while (node.length > max) {
      // Never inside a grapheme (a surrogate pair, an accent, an emoji sequence).
      const at = graphemes.segment(node.data).containing(max)?.index ?? max;
      if (at === 0) break; // one grapheme longer than max: leave it whole
      node = node.splitText(at);
    }
  }
}
