// The .vsix as a user gets it: `npm run package` (vsce, which runs the production build) in a
// copy of the working tree as a fresh clone would hold it (scripts/package-vsix.mjs; built once
// per change of the sources, kept in .cache/vsix/ and copied to test-output/), or the one given as
// WEATHER_VSIX (e.g. the one CI built). It must stay under 1 MiB, carry only what the extension runs or shows, name an icon
// that is a 128×128 PNG, and have what a marketplace page needs: a changelog for this version, a
// gallery banner, README images that resolve inside the .vsix, and a repository or a statement why
// there is none.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { readmeReferences, relativeTarget } from './readme-links';

const repo = path.resolve(__dirname, '..', '..', '..');
const MAX_BYTES = 1024 * 1024;
const ICON_SIZE = 128;

interface Entry {
  name: string;
  size: number;
  compressed: number;
  read(): Buffer;
}

/** What may ship: the bundles the extension loads, media/, the README's images and the package's own files. */
const SHIPS = [
  /^\[Content_Types\]\.xml$/,
  /^extension\.vsixmanifest$/,
  /^extension\/(package\.json|readme\.md|changelog\.md|LICENSE\.txt)$/,
  /^extension\/dist\/(extension|engine|panel)\.js$/,
  /^extension\/dist\/codicons\/codicon\.(css|ttf)$/,
  /^extension\/media\/.+$/,
  /^extension\/docs\/images\/[^/]+\.(png|jpe?g|gif|webp)$/,
];
/** What must never ship, said plainly when it does. */
const NEVER: Array<[RegExp, string]> = [
  [/\.map$/, 'a source map'],
  [/(^|\/)node_modules\//, 'node_modules'],
  [/^extension\/src\//, 'TypeScript sources (src/)'],
  [/^extension\/(test|out|bench|scripts|deploy|\.ci)\//, 'a development folder'],
  [/\.test\.|(^|\/)__tests__\//, 'a test'],
  [/\.tsx?$/, 'TypeScript source'],
  [/(^|\/)\.[^/]+$/, 'a dotfile'],
  [/\.vsix$/, 'another .vsix'],
  [/^extension\/dist\/(relay|cli)\.js$/, 'the relay or CLI bundle (the extension embeds the relay; the CLI is not part of it)'],
  [/^extension\/dist\/watch\//, "the relay's browser pages (the relay serves them; the embedded relay runs without them)"],
];

let vsix: string;
let built = '';
let entries: Entry[];
let files: Map<string, Entry>;
let manifest: any;
let vsixManifest: string;
const text = (name: string) => {
  const entry = files.get(name);
  assert.ok(entry, `${name} is in the .vsix`);
  return entry.read().toString('utf8');
};

before(async () => {
  const script = await import(pathToFileURL(path.join(repo, 'scripts', 'package-vsix.mjs')).href);
  if (process.env.WEATHER_VSIX) {
    vsix = path.resolve(process.env.WEATHER_VSIX);
    built = `given as WEATHER_VSIX`;
  } else {
    const result = await script.packageVsix();
    vsix = result.vsix;
    built = result.built ? `built by \`npm run package\` from ${result.files} files in ${(result.ms / 1000).toFixed(1)} s` : 'unchanged sources: the .vsix built for them before';
  }
  // CI keeps what it tested: test-output/<name>-<version>.vsix.
  mkdirSync(path.join(repo, 'test-output'), { recursive: true });
  if (!process.env.WEATHER_VSIX) copyFileSync(vsix, path.join(repo, 'test-output', path.basename(vsix)));
  entries = script.vsixEntries(vsix);
  files = new Map(entries.map((entry) => [entry.name, entry]));
  manifest = JSON.parse(text('extension/package.json'));
  vsixManifest = text('extension.vsixmanifest');
});

test('`npm run package` writes <name>-<version>.vsix, under 1 MiB', (t) => {
  const bytes = statSync(vsix).size;
  t.diagnostic(`${path.relative(repo, vsix)}: ${bytes} bytes (${(bytes / 1024).toFixed(0)} KiB), ${built}`);
  for (const entry of entries) t.diagnostic(`  ${entry.name}  ${entry.size} B (${entry.compressed} B packed)`);
  assert.equal(path.basename(vsix), process.env.WEATHER_VSIX ? path.basename(vsix) : `${manifest.name}-${manifest.version}.vsix`);
  assert.equal(manifest.name, 'weather-assistant-live');
  assert.ok(bytes <= MAX_BYTES, `the .vsix is ${bytes} bytes, more than 1 MiB (${MAX_BYTES})`);
});

test('it carries only what the extension runs or shows: no test, source map, source, node_modules or build tool', () => {
  const wrong = entries.flatMap(({ name }) => {
    const never = NEVER.find(([pattern]) => pattern.test(name));
    if (never) return [`${name}: ${never[1]}`];
    return SHIPS.some((pattern) => pattern.test(name)) ? [] : [`${name}: not a file the extension ships (.vscodeignore)`];
  });
  assert.deepEqual(wrong, []);
  for (const { name } of entries.filter((entry) => /\.(js|css)$/.test(entry.name))) {
    assert.doesNotMatch(text(name), /[#@] sourceMappingURL=/, `${name} is the production build, with no source map reference`);
  }
});

test('every file the manifest names is in it: main, icon, and the paths under contributes', () => {
  const named = new Set<string>([manifest.main, manifest.icon].filter(Boolean));
  // A contributed path is a relative file name with an extension, e.g. media/activity-icon.svg.
  const walk = (value: unknown): void => {
    if (typeof value === 'string' && /^(\.\/)?[\w.-]+(\/[\w.-]+)+\.\w+$/.test(value)) named.add(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.contributes);
  const missing = [...named].filter((file) => !files.has(`extension/${path.posix.normalize(file)}`));
  assert.deepEqual(missing, [], 'named in package.json but not in the .vsix');
  assert.ok(named.has('media/activity-icon.svg'), 'the activity bar icon is among them');
});

test('the icon is a 128×128 PNG', () => {
  assert.equal(manifest.icon, 'media/icon.png');
  assert.match(vsixManifest, /<Icon>extension\/media\/icon\.png<\/Icon>/);
  const png = files.get(`extension/${manifest.icon}`)!.read();
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'the PNG signature');
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  assert.deepEqual({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }, { width: ICON_SIZE, height: ICON_SIZE });
});

test('marketplace essentials: a changelog for this version, a gallery banner, a licence, a repository or the reason there is none', () => {
  for (const field of ['displayName', 'description', 'publisher', 'license']) assert.ok(manifest[field], `package.json has ${field}`);
  assert.ok(manifest.categories?.length && manifest.keywords?.length, 'categories and keywords');
  assert.match(manifest.galleryBanner?.color ?? '', /^#[0-9a-f]{6}$/i, 'galleryBanner.color');
  assert.match(manifest.galleryBanner?.theme ?? '', /^(dark|light)$/, 'galleryBanner.theme');
  assert.match(vsixManifest, new RegExp(`Branding\\.Color" Value="${manifest.galleryBanner.color}"`));
  assert.ok(files.has('extension/LICENSE.txt'), 'the licence');

  const changelog = text('extension/changelog.md');
  const section = new RegExp(`^## \\[?${manifest.version.replace(/\./g, '\\.')}\\]?\\b[^\\n]*\\n([\\s\\S]*?)(?=^## |$(?![\\s\\S]))`, 'm').exec(changelog);
  assert.ok(section, `changelog.md has a "## ${manifest.version}" section`);
  assert.ok(section[1].split('\n').filter((line) => /^\s*- /.test(line)).length >= 5, 'that section says what the version contains');

  const where = ['repository', 'bugs', 'homepage'].filter((field) => manifest[field] !== undefined);
  if (where.length === 3) {
    assert.match(JSON.stringify(manifest.repository), /https:\/\//, 'repository is a URL');
  } else {
    assert.deepEqual(where, [], 'either all of repository, bugs and homepage, or none');
    assert.match(changelog, /no public repository/i, 'the changelog says why there is no repository, bugs or homepage');
    assert.match(manifest.scripts?.package ?? '', /--allow-missing-repository/, '`npm run package` does not stop to ask about it');
  }
});

test("the README's images and relative links resolve to files in the .vsix, and every image shipped is used", () => {
  const { images, links } = readmeReferences(text('extension/readme.md'));
  assert.ok(images.length >= 1, 'the README shows the panel');
  const broken: string[] = [];
  const used = new Set<string>();
  for (const [kind, reference] of [...images.map(({ src }) => ['image', src]), ...links.map((href) => ['link', href])]) {
    const target = relativeTarget(reference);
    if (target === undefined) {
      // Absolute: fine for links; images must come over HTTPS (the marketplace's rule).
      if (kind === 'image' && !/^https:\/\//i.test(reference)) broken.push(`image ${reference}: not HTTPS and not in the .vsix`);
      continue;
    }
    if (target.startsWith('/') || target.startsWith('../') || !files.has(`extension/${target}`)) broken.push(`${kind} ${reference}: no such file in the .vsix`);
    used.add(`extension/${target}`);
  }
  assert.deepEqual(broken, []);
  const unused = entries.filter(({ name }) => name.startsWith('extension/docs/') && !used.has(name)).map(({ name }) => name);
  assert.deepEqual(unused, [], 'images shipped for the README but not shown by it');
});
