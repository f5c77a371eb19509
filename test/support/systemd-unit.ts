/**
 * deploy/*.service as systemd reads them, for tests: their settings, their command lines
 * expanded the way systemd expands them (`$VAR` as a word of its own → the variable's value
 * split into words, `${VAR}` → its value, `%i` → the instance name), the environment their
 * EnvironmentFile gives, and `systemd-analyze verify` on them. Verifying needs every
 * command's program to exist, so it runs on a copy whose /usr/bin/node and /opt/weather-relay
 * are this machine's node and this checkout, as the units' comments tell users to change them.
 * Anything this reader does not understand (quotes, escapes, command prefixes, other
 * specifiers) throws, so a unit the tests no longer understand fails loudly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const DEPLOY = resolve(__dirname, '../../../deploy');
const CHECKOUT = resolve(__dirname, '../../..');
/** Where the units expect Node and the relay. */
const UNIT_NODE = '/usr/bin/node';
const UNIT_CHECKOUT = '/opt/weather-relay';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
/** The PATH systemd gives a system service (systemd 252). */
const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function readDeployFile(name: string): string {
  return readFileSync(resolve(DEPLOY, name), 'utf8');
}

/** Every value of `key` in `[section]`, in order. */
export function unitSettings(unit: string, section: string, key: string): string[] {
  let current = '';
  const values: string[] = [];
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.endsWith('\\')) throw new Error(`continued lines are not understood here: ${line}`);
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1];
    else if (current === section && line.startsWith(`${key}=`)) values.push(line.slice(key.length + 1));
  }
  return values;
}

/** The one value of `key` in `[Service]`. */
export function serviceSetting(unit: string, key: string): string {
  const values = unitSettings(unit, 'Service', key);
  if (values.length !== 1) throw new Error(`expected one ${key}= in [Service], found ${values.length}`);
  return values[0];
}

/** KEY=VALUE lines of an EnvironmentFile (comments and blank lines skipped; no quoting). */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match || /["'\\]/.test(match[2])) throw new Error(`environment file line not understood here: ${line}`);
    env[match[1]] = match[2];
  }
  return env;
}

/** A command line (ExecStart=, ExecReload=) as systemd runs it: `[program, ...args]`. */
export function expandCommandLine(line: string, env: Record<string, string>, specifiers: Record<string, string> = {}): string[] {
  if (/["'\\]/.test(line)) throw new Error(`quotes and escapes are not understood here: ${line}`);
  if (/^[-@+!:|]/.test(line)) throw new Error(`command prefixes are not understood here: ${line}`);
  return line
    .trim()
    .split(/\s+/)
    .flatMap((word) => {
      const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
      if (whole) return (env[whole[1]] ?? '').split(/\s+/).filter(Boolean);
      if (/\$(?!\{)/.test(word)) throw new Error(`$VAR inside a word is not expanded by systemd: ${word}`);
      const expanded = word
        .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env[name] ?? '')
        .replace(/%(.)/g, (_, letter: string) => {
          if (letter === '%') return '%';
          if (letter in specifiers) return specifiers[letter];
          throw new Error(`specifier %${letter} is not understood here: ${word}`);
        });
      return [expanded];
    });
}

/** The unit's Node and relay paths made this machine's: its node, this checkout. */
export function localPaths(text: string): string {
  if (/\s/.test(CHECKOUT)) throw new Error(`the checkout's path has white space, which a unit's command line cannot hold: ${CHECKOUT}`);
  return text.replaceAll(UNIT_NODE, process.execPath).replaceAll(UNIT_CHECKOUT, CHECKOUT);
}

/**
 * The environment a unit's processes get: systemd's PATH and the EnvironmentFile's
 * variables (given as text: the file the unit names is on the user's machine).
 */
export function serviceEnvironment(unit: string, envFileText: string): NodeJS.ProcessEnv {
  serviceSetting(unit, 'EnvironmentFile'); // there is exactly one
  return { PATH: SERVICE_PATH, ...parseEnvironmentFile(envFileText) };
}

/**
 * `systemd-analyze verify` on `text` saved as `fileName` in a temp dir, with local paths.
 * For a template (`name@.service`), `instance` names the instance checked: verifying the
 * template alone does not check its commands.
 */
export function verifyUnit(fileName: string, text: string, instance?: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'weather-unit-'));
  try {
    writeFileSync(join(dir, fileName), localPaths(text));
    const target = instance === undefined ? fileName : fileName.replace('@.', `@${instance}.`);
    const result = spawnSync(SYSTEMD_ANALYZE, ['verify', join(dir, target)], { encoding: 'utf8', timeout: 30_000 });
    if (result.error) throw new Error(`${SYSTEMD_ANALYZE} did not run (Debian's systemd package has it): ${result.error.message}`);
    return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
