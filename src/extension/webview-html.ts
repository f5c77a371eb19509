/**
 * The Live Activity webview's HTML shell. Strict CSP: nothing is allowed by default,
 * the one script runs by nonce, styles and the icon font come only from the extension,
 * and images may not load at all (model output must not fetch remote URLs).
 */
import { randomBytes } from 'node:crypto';

interface PanelHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  scriptUri: string;
  styleUris: string[];
  /** Defaults to 128 random bits from the platform's CSPRNG. */
  nonce?: string;
}

export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

export function renderPanelHtml(options: PanelHtmlOptions): string {
  const nonce = options.nonce ?? createNonce();
  const csp = [
    "default-src 'none'",
    `style-src ${options.cspSource}`,
    `font-src ${options.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "img-src 'none'",
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
  const styles = options.styleUris.map((uri) => `<link rel="stylesheet" href="${escapeAttribute(uri)}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${csp}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${styles}
    <title>Live Activity</title>
  </head>
  <body>
    <main id="app"></main>
    <script nonce="${nonce}" src="${escapeAttribute(options.scriptUri)}"></script>
  </body>
</html>
`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
