/**
 * The HTML the relay serves for the watch page: two shells (the channel index and one
 * channel's live view), which hold no inline script or style and only say, in data
 * attributes, what the page's script needs; and the page for an address that names no
 * channel. Every interpolated value is HTML-escaped, whatever checked it before.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export interface ShellValues {
  /** The file names the bundle's manifest gives. */
  script: string;
  style: string;
  /** `ws(s)://host:port/`: where the page connects. */
  relayUrl: string;
  /** Whether the relay asks for a token. */
  auth: 'open' | 'token';
}

const PRODUCT = 'Weather Assistant Live';

/** The channel index: the page lists the channels (from /api/channels) or takes one typed in. */
export function indexShell(values: ShellValues): string {
  return shell(values, `${PRODUCT}: channels`, 'index', undefined, "This page needs JavaScript to list the relay's channels.");
}

/** One channel, live and read-only. `channel` must be a valid channel name. */
export function watchShell(values: ShellValues, channel: string): string {
  return shell(values, `${channel} · ${PRODUCT}`, 'watch', channel, 'This page needs JavaScript to show the channel live.');
}

function shell(values: ShellValues, title: string, page: 'index' | 'watch', channel: string | undefined, noscript: string): string {
  const channelAttribute = channel === undefined ? '' : ` data-channel="${escapeHtml(channel)}"`;
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title>` +
    `<link rel="stylesheet" href="/assets/${escapeHtml(values.style)}">` +
    `<script defer src="/assets/${escapeHtml(values.script)}"></script></head>` +
    `<body data-page="${page}"${channelAttribute} data-relay-url="${escapeHtml(values.relayUrl)}" data-auth="${escapeHtml(values.auth)}">` +
    `<main id="app"></main><noscript>${escapeHtml(noscript)}</noscript></body></html>`
  );
}

/** A page of words for an address that names no channel (no script: it only says why, and links to the index). */
export function notFoundPage(reason: string, style: string | undefined): string {
  const stylesheet = style === undefined ? '' : `<link rel="stylesheet" href="/assets/${escapeHtml(style)}">`;
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>Not found · ${PRODUCT}</title>${stylesheet}</head>` +
    `<body data-page="not-found"><main id="app"><h1>Not found</h1><p>${escapeHtml(reason)}</p>` +
    '<p><a href="/">See the channels you may watch</a></p></main></body></html>'
  );
}
