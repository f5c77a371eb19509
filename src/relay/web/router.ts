/**
 * The watch page's routes on the relay's HTTP port, for teammates without VS Code:
 *
 *   GET /                  the channel index (an HTML shell; the bundle's script fills it)
 *   GET /watch/<channel>   one channel, live and read-only (an HTML shell)
 *   GET /assets/<file>     the bundle's script and stylesheet, by their hashed names only
 *   GET /api/…             see channel-api.ts
 *   GET /favicon.ico       204: browsers ask for it on every page, and a 404 is an error in each viewer's console
 *
 * HEAD answers as GET without the body (Node drops it; Content-Length stays). Every answer
 * carries security-headers.ts's headers; the shells and the API are never stored, the
 * assets cached for good.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { channelNameProblem } from '../../protocol';
import type { Authorizer } from '../auth/authorizer';
import type { ChannelEngine } from '../channel-engine';
import type { RelayLogger } from '../log';
import type { RelayMetrics } from '../metrics';
import { pageAddressOf, publicAddress, publicUrlProblem, type PageAddress } from './address';
import { DEFAULT_ASSETS_DIR, loadWebBundle } from './assets';
import { answerAccess, answerChannels, type ChannelApiContext, type JsonReply } from './channel-api';
import { indexShell, notFoundPage, watchShell } from './pages';
import { IMMUTABLE, NO_STORE, securityHeaders } from './security-headers';

/** The watch page's settings (RelayOptions.web). */
export interface WebOptions {
  /** The address the page announces (`--public-url`, validated by publicUrlProblem); else the Host each request came with. */
  publicUrl?: string;
  /** Where the built bundle is (its manifest.json and files); default: dist/watch next to dist/relay.js. */
  assetsDir?: string;
}

export interface WebRoutes {
  /** Answers a GET or HEAD of one of the page's paths; false (nothing written) for any other path. */
  handle(request: IncomingMessage, response: ServerResponse, path: string): boolean;
  /** The origin of the page this request's browser was served (allowed as a WebSocket Origin beside --allow-origin). */
  ownOrigin(request: IncomingMessage): string | undefined;
  /** One line for the relay's log: where the page is, or why it cannot be served. */
  readonly status: { ok: boolean; text: string };
}

/** Throws a RangeError of one sentence for a `publicUrl` that cannot be the page's address. */
export function createWebRoutes(options: WebOptions, context: ChannelApiContext & { tls: boolean }): WebRoutes {
  const problem = options.publicUrl === undefined ? undefined : publicUrlProblem(options.publicUrl);
  if (problem) throw new RangeError(problem);
  const fixed = options.publicUrl === undefined ? undefined : publicAddress(options.publicUrl);
  const bundle = loadWebBundle(options.assetsDir ?? DEFAULT_ASSETS_DIR);
  const auth = context.authorizer.open ? 'open' : 'token';
  const addressOf = (request: IncomingMessage) => pageAddressOf(request, fixed, context.tls);

  const page = (send: Send, address: PageAddress | undefined, channel?: string): void => {
    if (!bundle.ok) return send(503, TEXT, "This relay's watch page is not built: run `npm run build`, then restart the relay.\n");
    if (!address) return send(400, TEXT, 'The Host header must be a host name or address with an optional port, or the relay needs --public-url.\n');
    const values = { script: bundle.script, style: bundle.style, relayUrl: address.relayUrl, auth } as const;
    send(200, HTML, channel === undefined ? indexShell(values) : watchShell(values, channel));
  };

  const watch = (send: Send, address: PageAddress | undefined, encoded: string): void => {
    let channel: string | undefined;
    try {
      channel = decodeURIComponent(encoded);
    } catch {
      // Not percent-encoding: no channel has such a name.
    }
    const problem = channel === undefined ? 'the address is not valid percent-encoding' : channelNameProblem(channel);
    if (problem) return send(404, HTML, notFoundPage(`This address names no channel: ${problem}.`, bundle.ok ? bundle.style : undefined));
    page(send, address, channel);
  };

  const asset = (send: Send, name: string): void => {
    const file = bundle.ok ? bundle.files.get(name) : undefined;
    if (!file) return send(404, TEXT, 'No such file: the page loads only the files its build names.\n');
    send(200, file.contentType, file.body, IMMUTABLE);
  };

  return {
    status: bundle.ok
      ? { ok: true, text: `watch page: read-only, at ${fixed ? `${fixed.pageOrigin}/` : '/ and /watch/<channel> on this port'} (--no-web turns it off)` }
      : { ok: false, text: `watch page: its files cannot be served (${bundle.problem}): run \`npm run build\` and restart the relay; until then / and /watch/… answer 503` },
    ownOrigin: (request) => addressOf(request)?.pageOrigin,
    handle(request, response, path) {
      const web = path === '/' || path === '/favicon.ico' || path === '/watch' || path.startsWith('/watch/') || path.startsWith('/assets/') || path.startsWith('/api/');
      if (!web) return false;
      const address = addressOf(request);
      const security = securityHeaders(address);
      const send: Send = (status, contentType, body, headers = NO_STORE) => {
        // A peer gone while a signed token was checked (its socket ended or destroyed) gets nothing.
        if (response.headersSent || response.destroyed || response.socket?.writable === false) return;
        const bytes = typeof body === 'string' ? Buffer.from(body) : body;
        response.writeHead(status, { ...security, ...headers, 'content-type': contentType, 'content-length': bytes.length });
        response.end(bytes);
      };
      const json: JsonReply = (status, body, headers = {}) => send(status, JSON_TYPE, `${JSON.stringify(body)}\n`, { ...NO_STORE, ...headers });
      if (path === '/') page(send, address);
      else if (path === '/favicon.ico') send(204, TEXT, '', { 'cache-control': 'public, max-age=86400' });
      else if (path === '/watch' || path.startsWith('/watch/')) watch(send, address, path.slice('/watch/'.length));
      else if (path.startsWith('/assets/')) asset(send, path.slice('/assets/'.length));
      else if (path === '/api/channels') answerChannels(request, json, context);
      else if (path === '/api/access') answerAccess(request, queryOf(request.url), json, context);
      else json(404, { error: 'no such API: /api/channels and /api/access?channel=<name> are the two there are' });
      return true;
    },
  };
}

type Send = (status: number, contentType: string, body: string | Buffer, headers?: Record<string, string>) => void;

const HTML = 'text/html; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

function queryOf(url: string | undefined): string {
  const at = url?.indexOf('?') ?? -1;
  return at < 0 ? '' : url!.slice(at + 1);
}
