// What a README points at, read the way VS Code's details page renders it (Markdown with HTML
// allowed): used by test/package/vsix.test.ts on the .vsix and inside VS Code by
// test/vscode/installed/index.ts on the installed extension's details page.
import * as path from 'node:path';
import MarkdownIt from 'markdown-it';

type Token = ReturnType<MarkdownIt['parse']>[number];

/** Every image (its source and alt text) and link target, as written (Markdown syntax and HTML tags alike). */
export function readmeReferences(markdown: string): { images: Array<{ src: string; alt: string }>; links: string[] } {
  const images: Array<{ src: string; alt: string }> = [];
  const links: string[] = [];
  const fromHtml = (html: string) => {
    for (const match of html.matchAll(/<img\b[^>]*>/gi)) {
      const attribute = (name: string) => new RegExp(`\\s${name}\\s*=\\s*["']([^"']*)["']`, 'i').exec(match[0])?.[1];
      const src = attribute('src');
      if (src !== undefined) images.push({ src, alt: attribute('alt') ?? '' });
    }
    for (const match of html.matchAll(/<a\b[^>]*?\shref\s*=\s*["']([^"']*)["']/gi)) links.push(match[1]);
  };
  const walk = (tokens: Token[]) => {
    for (const token of tokens) {
      if (token.type === 'image') images.push({ src: token.attrGet('src') ?? '', alt: token.content });
      else if (token.type === 'link_open') links.push(token.attrGet('href') ?? '');
      else if (token.type === 'html_block' || token.type === 'html_inline') fromHtml(token.content);
      if (token.children) walk(token.children);
    }
  };
  walk(new MarkdownIt({ html: true }).parse(markdown, {}));
  return { images, links };
}

/**
 * The file a reference points at, relative to the README's folder (POSIX, normalized), or
 * undefined when it is not a relative path: a URL with a scheme, `//host`, or an `#anchor`.
 */
export function relativeTarget(reference: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(reference) || reference.startsWith('//') || reference.startsWith('#')) return undefined;
  const file = decodeURI(reference.replace(/[?#].*$/, ''));
  return path.posix.normalize(file);
}
