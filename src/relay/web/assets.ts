/**
 * The watch page's two files (script and stylesheet), read once when the relay starts from
 * the directory `npm run build` fills (dist/watch/): its manifest.json names them, each name
 * holding the first 12 hex digits of its content's SHA-256, which is checked, so that a name
 * may be cached for ever. Only those files are ever served, from memory: no request reaches
 * the file system, so no path can lead anywhere else.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The build's output next to the relay: in dist/relay.js (the bundle), `__dirname` is dist/. */
export const DEFAULT_ASSETS_DIR = join(__dirname, 'watch');

const MAX_MANIFEST_BYTES = 4 * 1024;
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const FILE_NAME = /^[A-Za-z0-9_-]{1,64}\.([0-9a-f]{12})\.(js|css)$/;
const CONTENT_TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

export interface WebAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

export type WebBundle =
  | { readonly ok: true; readonly script: string; readonly style: string; readonly files: ReadonlyMap<string, WebAsset> }
  | { readonly ok: false; readonly problem: string };

/** Reads the bundle in `dir`; what is wrong with it, in one clause, when it cannot be served. */
export function loadWebBundle(dir: string): WebBundle {
  const manifestPath = join(dir, 'manifest.json');
  let manifest: unknown;
  try {
    const text = readFileSync(manifestPath);
    if (text.length > MAX_MANIFEST_BYTES) return missing(`${manifestPath} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    manifest = JSON.parse(text.toString('utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return missing(code === 'ENOENT' ? `${manifestPath} does not exist` : `${manifestPath} cannot be read: ${code ?? (error as Error).message}`);
  }
  const files = new Map<string, WebAsset>();
  const named: Record<'script' | 'style', string> = { script: '', style: '' };
  for (const [key, extension] of [['script', 'js'], ['style', 'css']] as const) {
    const name = (manifest as Record<string, unknown> | null)?.[key];
    const match = typeof name === 'string' ? FILE_NAME.exec(name) : null;
    if (!match || match[2] !== extension) return missing(`${manifestPath} must name its ${key} as "<name>.<12 hex digits>.${extension}"`);
    let body: Buffer;
    try {
      body = readFileSync(join(dir, match[0]));
    } catch (error) {
      return missing(`${join(dir, match[0])} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (body.length > MAX_FILE_BYTES) return missing(`${join(dir, match[0])} is larger than ${MAX_FILE_BYTES} bytes`);
    if (createHash('sha256').update(body).digest('hex').slice(0, 12) !== match[1]) {
      return missing(`${join(dir, match[0])} does not hold what its name's hash says (a build half replaced?)`);
    }
    files.set(match[0], { body, contentType: CONTENT_TYPES[extension] });
    named[key] = match[0];
  }
  return { ok: true, ...named, files };
}

const missing = (problem: string): WebBundle => ({ ok: false, problem });
