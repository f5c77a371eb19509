// Helpers for suites that run inside the real VS Code extension host (see test/vscode/README.md).
// Everything here talks to the launcher (test/vscode/launcher.mjs) through files and
// environment variables, because the extension host and the browser are separate processes.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The extension under test: what the driver passed as extensionDevelopmentPath. */
export const devPath = process.env.WEATHER_VSCODE_DEV_PATH ?? path.resolve(__dirname, '..', '..', '..', '..');

/** The id `<publisher>.<name>` read from the extension's package.json (undefined if unreadable). */
export function extensionId(): string | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(devPath, 'package.json'), 'utf8'));
    return manifest.publisher && manifest.name ? `${manifest.publisher}.${manifest.name}` : undefined;
  } catch {
    return undefined;
  }
}

/** The extension's package.json, parsed. */
export function manifest(): any {
  return JSON.parse(fs.readFileSync(path.join(devPath, 'package.json'), 'utf8'));
}

/**
 * Skips the current test and records why; the driver shows the reason, e.g.
 *   test('x', function () { if (!ready) return skipWithReason(this, 'dist/extension.js not built'); ... })
 */
export function skipWithReason(context: Mocha.Context, reason: string): never {
  if (context.test) (context.test as Mocha.Runnable & { skipReason?: string }).skipReason = reason;
  context.skip();
  throw new Error('unreachable'); // context.skip() throws
}

/**
 * Asks the launcher for a PNG of the whole workbench, saved as `<name>.png` in
 * WEATHER_VSCODE_SCREENSHOT_DIR (the driver uses test-output/). Resolves with the file's path,
 * or undefined when screenshots are off (the variable is unset) or the launcher did not answer.
 * Give the UI a moment to settle first if you just changed it.
 */
export async function screenshot(name: string, timeoutMs = 10_000): Promise<string | undefined> {
  const dir = process.env.WEATHER_VSCODE_SCREENSHOT_DIR;
  if (!dir) return undefined;
  const safe = name.replace(/[^\w.-]+/g, '-');
  const requests = path.join(dir, '.screenshot-requests');
  const target = path.join(dir, `${safe}.png`);
  const done = path.join(requests, `${safe}.done`);
  fs.mkdirSync(requests, { recursive: true });
  fs.rmSync(done, { force: true });
  fs.writeFileSync(path.join(requests, `${safe}.request`), String(Date.now()));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(done)) {
      fs.rmSync(done, { force: true });
      return target;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}
