/**
 * A PEM file of extra authorities (a team's private CA) to trust for wss://: the
 * extension's `weatherAssistant.server.caFile`, the CLI's `--ca-file`. Bounded, and checked
 * to hold at least one readable certificate, so a wrong path or file is named in words.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

/** A bundle of a few CAs is a few KiB; past this it is not a CA file. */
export const MAX_CA_FILE_BYTES = 1024 * 1024;

/** The file's PEM text; rejects with an Error of one clause saying what is wrong. */
export async function readCaFile(path: string): Promise<string> {
  const resolved = path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
  const info = await stat(resolved).catch((error: NodeJS.ErrnoException) => Promise.reject(unreadable(path, error)));
  if (!info.isFile()) throw new Error(`${path} is not a file`);
  if (info.size > MAX_CA_FILE_BYTES) throw new Error(`${path} is larger than ${MAX_CA_FILE_BYTES} bytes, not a CA file`);
  const text = await readFile(resolved, 'utf8').catch((error: NodeJS.ErrnoException) => Promise.reject(unreadable(path, error)));
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new Error(`${path} holds a certificate that cannot be read`);
    }
  }
  return blocks.join('\n');
}

function unreadable(path: string, error: NodeJS.ErrnoException): Error {
  return new Error(error.code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path} (${error.code ?? error.message})`);
}
