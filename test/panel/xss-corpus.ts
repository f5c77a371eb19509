/**
 * Hostile publishers' material, shared by the panel's XSS suite (the webview) and the watch
 * page's (the relay's page in a browser): a corpus of XSS and data-leak payloads, tool results
 * carrying them in every field, and `inspectDom`, which lists everything in a page that could
 * run code or load something, given what the page itself legitimately holds.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';

export interface Payload {
  name: string;
  text: string;
  /**
   * Text that must be visible in the rendered markdown (answer, completion): the payload
   * itself unless markdown legitimately turns it into something else. null: no check.
   */
  markdown?: string | null;
}

export function corpus(origin: string): Payload[] {
  const leak = (tag: string) => `${origin}/leak?${tag}`;
  return [
    { name: 'script tag', text: '<script>window.__pwned=1</script>' },
    { name: 'script tag, alert', text: '<SCRIPT>alert("xss")</SCRIPT>' },
    { name: 'img onerror', text: '<img src=x onerror="window.__pwned=1">' },
    { name: 'img onerror alert', text: "<img src=x onerror=alert('img')>" },
    { name: 'attribute break-out', text: '"><img src=x onerror=window.__pwned=1>' },
    { name: 'single-quote break-out', text: "'><svg/onload=window.__pwned=1>" },
    { name: 'svg onload', text: '<svg onload="window.__pwned=1"><circle r="9"/></svg>' },
    { name: 'svg script', text: '<svg><script>window.__pwned=1</script></svg>' },
    { name: 'iframe srcdoc', text: '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>' },
    { name: 'iframe javascript', text: '<iframe src="javascript:parent.__pwned=1"></iframe>' },
    { name: 'object / embed', text: `<object data="javascript:window.__pwned=1"></object><embed src="${leak('embed')}">` },
    { name: 'details ontoggle', text: '<details open ontoggle="window.__pwned=1">x</details>' },
    { name: 'autofocus onfocus', text: '<input autofocus onfocus="window.__pwned=1">' },
    { name: 'video source onerror', text: '<video><source onerror="window.__pwned=1"></video>' },
    { name: 'form action', text: '<form action="javascript:window.__pwned=1"><button>go</button></form>' },
    { name: 'meta refresh', text: '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">' },
    { name: 'base href', text: `<base href="${leak('base')}/">` },
    { name: 'raw anchor javascript', text: '<a href="javascript:window.__pwned=1">raw link</a>' },
    { name: 'markdown javascript link', text: '[click me](javascript:window.__pwned=1)' },
    { name: 'markdown javascript alert', text: '[x](javascript:alert(1))' },
    { name: 'mixed-case scheme', text: '[x](JaVaScRiPt:alert(1))' },
    { name: 'entity-encoded scheme', text: '[x](&#106;avascript:alert(1))', markdown: null },
    { name: 'named-entity colon', text: '[x](javascript&colon;alert(1))', markdown: null },
    { name: 'tab in scheme', text: '[x](java\tscript:alert(1))', markdown: null },
    { name: 'vbscript / file links', text: '[a](vbscript:msgbox(1)) [b](file:///etc/passwd)' },
    { name: 'autolink javascript', text: '<javascript:alert(1)>' },
    { name: 'reference link javascript', text: '[ref][r]\n\n[r]: javascript:alert(1)', markdown: null },
    { name: 'data: html link', text: '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)' },
    { name: 'data: image', text: '![pixel](data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==)', markdown: '[image: pixel]' },
    { name: 'remote markdown image', text: `![tracker](${leak('markdown-image')})`, markdown: '[image: tracker]' },
    { name: 'remote raw image', text: `<img src="${leak('raw-image')}">` },
    { name: 'link title break-out', text: '[t](https://example.com "a\\" onmouseover=\\"window.__pwned=1")', markdown: null },
    { name: 'style tag', text: '<style>body{display:none} *{background:url(x)}</style>' },
    { name: 'style attribute', text: `<div style="background:url(${leak('css')})">styled</div>` },
    { name: 'stylesheet link', text: `<link rel="stylesheet" href="${leak('link')}"><link rel="prefetch" href="${leak('prefetch')}">` },
    { name: 'html entities', text: '&lt;script&gt;window.__pwned=1&lt;/script&gt; &#60;img src=x onerror=window.__pwned=1&#62;', markdown: '<script>window.__pwned=1</script> <img src=x onerror=window.__pwned=1>' },
    { name: 'mXSS math/style', text: '<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=1>' },
    { name: 'noscript title', text: '<noscript><p title="</noscript><img src=x onerror=window.__pwned=1>">' },
    { name: 'closing script in JSON', text: '</script><script>window.__pwned=1</script>' },
    { name: 'template injection', text: "{{constructor.constructor('window.__pwned=1')()}} ${window.__pwned=1}" },
    { name: 'html comment / CDATA', text: '<!--<img src=x onerror=window.__pwned=1>--><![CDATA[<script>window.__pwned=1</script>]]>' },
    { name: 'unicode RTL override', text: 'invoice\u202Efdp.exe \u200B\u2066zero\u2069width' },
    { name: 'NUL and controls', text: 'nul\u0000byte \u0007bell \u001b[31mred', markdown: null },
    // Long but breakable (long unbroken words are clamped: see the test below).
    { name: 'very long', text: `${'<b> '.repeat(2_000)}${'AAAAAAA '.repeat(5_000)}<img src=x onerror=window.__pwned=1>` },
  ];
}

/** A weather result with the hostile text in every field. */
export function reportFor(text: string) {
  return {
    location: text,
    latitude: 1,
    longitude: 2,
    temperature: 20,
    apparent_temperature: 21,
    humidity: 50,
    wind_speed: 3,
    condition: text,
    units: { system: 'metric', temperature: text, wind_speed: text, humidity: '%' },
    observed_at: text,
    source: text,
    [text]: text,
  };
}

export const errorFor = (text: string) => ({ error: text, location: text, source: 'open-meteo' });

/** A forecast result with the hostile text in every text field, as a reading, and as a key; its hourly part unreadable. */
export function forecastFor(text: string) {
  return {
    location: text,
    latitude: 1,
    longitude: 2,
    timezone: text,
    utc_offset: text,
    units: { system: text, temperature: text, precipitation: text, precipitation_probability: text, wind_speed: text },
    daily: {
      date: ['2026-12-01', '2026-12-02'],
      temperature_min: [1, text],
      temperature_max: [5, 6],
      precipitation_probability: [text, 50],
      precipitation: [1, 2],
      wind_speed_max: [3, 4],
      condition: [text, 'Rain'],
      [text]: [text, text],
    },
    hourly: { time: [text], temperature: [1], condition: [text] },
    source: text,
    [text]: text,
  };
}

/** Hostile text where a date must be: not a forecast, so only the raw result is shown. */
export const forecastWithDatesFor = (text: string) => ({ ...forecastFor(text), daily: { ...forecastFor(text).daily, date: [text, '2026-12-02'] }, hourly: undefined });

/** What a page legitimately holds, besides what the panel's view draws. */
export interface PageShape {
  /** Its own controls and links (text boxes, forms, relative links): matched elements are not reported. */
  controls: string;
  /** At most this many text boxes, and this many other inputs and selects, in #app. */
  textareas: number;
  inputs: number;
  /** The one script's src must end with this path. */
  script: string;
  /** Exactly this many <link> and <meta> elements in <head>. */
  links: number;
  metas: number;
}

/** The Live Activity webview's shell and controls (src/extension/webview-html.ts, the composer and the filter). */
export const PANEL_SHAPE: PageShape = {
  controls: '.composer > .composer-row > textarea#composer-input, header > .filter > select#feed-scope, header > .filter > input#feed-search',
  textareas: 1,
  inputs: 2,
  script: '/dist/panel.js',
  links: 3,
  metas: 3,
};

/** Everything in the DOM that could run code or load something. Runs in the page. */
export function inspectDom(page: Page, shape: PageShape): Promise<string[]> {
  return page.evaluate((shape) => {
    const problems: string[] = [];
    const app = document.getElementById('app')!;
    const forbidden = [
      'script', 'img', 'iframe', 'frame', 'frameset', 'svg', 'math', 'object', 'embed', 'style', 'link', 'meta', 'base',
      'form', 'input', 'textarea', 'select', 'video', 'audio', 'source', 'track', 'picture', 'canvas', 'template',
      'noscript', 'applet', 'marquee', 'xmp', 'plaintext', 'portal', 'image',
    ];
    // Our own SVG (weather icons, forecast charts and their legend's samples) at their places in a tool card, made only of shapes and text.
    const ourSvg = (element: Element) =>
      element.matches(
        '.tool > p.weather > svg.weather-icon, .tool .forecast-block > svg.forecast-chart, .tool .forecast-legend > li > svg.legend-swatch, .tool .forecast-data td.condition > svg.weather-icon',
      );
    // The page's own controls, each at its one place.
    const ours = (element: Element) => ourSvg(element) || element.matches(shape.controls);
    for (const element of app.querySelectorAll(forbidden.join(','))) if (!ours(element)) problems.push(`<${element.tagName.toLowerCase()}> in the panel`);
    const shapes = new Set(['g', 'path', 'line', 'polyline', 'polygon', 'rect', 'circle', 'text']);
    for (const svg of app.querySelectorAll('svg')) {
      if (!ourSvg(svg)) continue;
      for (const part of svg.querySelectorAll('*')) if (!shapes.has(part.tagName)) problems.push(`<${part.tagName}> in our <svg>`);
    }
    if (app.querySelectorAll('textarea').length > shape.textareas) problems.push('more text boxes than the page has');
    if (app.querySelectorAll('input, select').length > shape.inputs) problems.push('more inputs than the page has');
    const scripts = Array.from(document.scripts);
    if (scripts.length !== 1 || !new URL(scripts[0].src).pathname.endsWith(shape.script)) problems.push(`${scripts.length} scripts in the document`);
    const active = Array.from(document.querySelectorAll('iframe, frame, object, embed, img, svg, base, form')).filter((element) => !ours(element));
    if (active.length > 0) problems.push('active element outside the panel');
    if (document.head.querySelectorAll('link').length !== shape.links) problems.push('stylesheets were added');
    if (document.head.querySelectorAll('meta').length !== shape.metas) problems.push('meta elements were added');
    const urlAttributes = new Set([
      'href', 'src', 'srcset', 'action', 'formaction', 'xlink:href', 'srcdoc', 'data', 'poster', 'background', 'ping',
      'lowsrc', 'dynsrc', 'codebase', 'cite', 'longdesc', 'usemap', 'manifest',
    ]);
    for (const element of document.querySelectorAll('*')) {
      for (const attribute of Array.from(element.attributes)) {
        const name = attribute.name.toLowerCase();
        const where = `<${element.tagName.toLowerCase()} ${name}="${attribute.value.slice(0, 60)}">`;
        if (name.startsWith('on')) problems.push(`event handler ${where}`);
        if (name === 'style') problems.push(`style attribute ${where}`);
        if (/^\s*(javascript|data|vbscript|file):/i.test(attribute.value) && name !== 'title' && name !== 'aria-label' && !name.startsWith('data-')) {
          problems.push(`dangerous URL ${where}`);
        }
        if (urlAttributes.has(name) && app.contains(element) && !element.matches(shape.controls)) {
          const ok = element.tagName === 'A' && name === 'href' && /^(https?:|mailto:)/i.test(attribute.value);
          if (!ok) problems.push(`URL attribute ${where}`);
        }
      }
    }
    // Markdown produces only these; anything else came from a message.
    const markdownTags = new Set([
      'div', 'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'strong', 'em', 'code', 'pre', 'blockquote', 'a',
      'table', 'thead', 'tbody', 'tr', 'th', 'td', 'hr', 'br', 's',
    ]);
    for (const element of app.querySelectorAll('.answer *')) {
      if (!markdownTags.has(element.tagName.toLowerCase())) problems.push(`<${element.tagName.toLowerCase()}> in an answer`);
    }
    // Our own buttons sit only beside a thread's heading and in a turn's outcome; any other came from a message.
    if (app.querySelectorAll('.threads button:not(.thread-head > button):not(.outcome > button):not(.tool .forecast-block > button.forecast-data-toggle)').length > 0) problems.push('buttons inside threads');
    if (app.querySelectorAll('.threads textarea, .threads input').length > 0) problems.push('an input inside threads');
    if (app.querySelectorAll('.threads details:not(.tool):not(.raw)').length > 0) problems.push('foreign <details>');
    return problems;
  }, shape);
}

export function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The control of a suite: plants in the feed (#control, in .threads) what an escaped payload
 * would be, an image with an inline handler and a javascript: link, and checks that inspectDom
 * reports each. The caller removes #control.
 */
export async function assertPlantedCaught(page: Page, leakUrl: string, shape: PageShape): Promise<void> {
  await page.evaluate((leak) => {
    const box = document.createElement('div');
    box.id = 'control';
    box.innerHTML = `<img src="${leak}" onerror="window.__pwned=1"><a href="javascript:void 0">j</a>`;
    document.querySelector('.threads')!.append(box);
  }, leakUrl);
  await sleep(300);
  const problems = await inspectDom(page, shape);
  for (const kind of ['<img>', 'event handler', 'dangerous URL']) assert.ok(problems.some((problem) => problem.startsWith(kind)), `${kind} caught: ${problems.join('\n')}`);
}
