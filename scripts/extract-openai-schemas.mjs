#!/usr/bin/env node
// Extracts the streaming-event schemas from OpenAI's published OpenAPI spec into
// test/fixtures/openai/stream-schemas.json, so the repo's tests can validate the fake
// OpenAI server against the real protocol without needing the (3 MB) spec itself.
//
// Usage: node scripts/extract-openai-schemas.mjs [path/to/openapi.json]
//   default spec path: ../shared/openai/openapi.json (relative to the repo root)
//   The spec's MIT LICENSE, expected next to it, is copied alongside the fixture.
//
// The schemas are copied verbatim (only the referenced subset); OpenAPI quirks such as
// `nullable` and `discriminator` are interpreted by test/support/openai-schema.ts, so the
// fixture stays a faithful, diffable excerpt of the published spec.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOTS = ['ResponseStreamEvent', 'CreateChatCompletionStreamResponse', 'ListModelsResponse'];
const REF_PREFIX = '#/components/schemas/';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const specPath = resolve(repoRoot, process.argv[2] ?? '../shared/openai/openapi.json');
const outPath = resolve(repoRoot, 'test/fixtures/openai/stream-schemas.json');

const specText = readFileSync(specPath, 'utf8');
const spec = JSON.parse(specText);
const all = spec.components?.schemas;
if (!all) throw new Error(`${specPath}: no components.schemas`);

/** Every `#/components/schemas/X` name referenced anywhere inside `node`. */
function refsIn(node, out = new Set()) {
  if (Array.isArray(node)) {
    for (const item of node) refsIn(item, out);
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        if (!value.startsWith(REF_PREFIX)) throw new Error(`unsupported $ref ${value}`);
        out.add(decodeURIComponent(value.slice(REF_PREFIX.length)));
      } else {
        refsIn(value, out);
      }
    }
  }
  return out;
}

// Transitive closure of the roots over $ref.
const picked = new Set();
const pending = [...ROOTS];
while (pending.length > 0) {
  const name = pending.pop();
  if (picked.has(name)) continue;
  if (!(name in all)) throw new Error(`schema ${name} is referenced but not defined in the spec`);
  picked.add(name);
  for (const ref of refsIn(all[name])) pending.push(ref);
}

const header = {
  note: 'Extracted subset of the OpenAI OpenAPI spec; do not edit. Regenerate with scripts/extract-openai-schemas.mjs.',
  source: {
    title: spec.info?.title,
    version: spec.info?.version,
    openapi: spec.openapi,
    sha256: createHash('sha256').update(specText).digest('hex'),
  },
  roots: ROOTS,
  refPrefix: REF_PREFIX,
  schemaCount: picked.size,
};

// One schema per line: compact, yet a spec update shows up as a readable per-schema diff.
const names = [...picked].sort();
const lines = names.map((n, i) => `  ${JSON.stringify(n)}: ${JSON.stringify(all[n])}${i < names.length - 1 ? ',' : ''}`);
const text = `{\n"header": ${JSON.stringify(header)},\n"schemas": {\n${lines.join('\n')}\n}\n}\n`;

mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, text);
// The excerpt is redistributed under the spec's licence, so it must travel with it.
const licence = resolve(dirname(specPath), 'LICENSE');
if (!existsSync(licence)) throw new Error(`${licence} not found: the extracted schemas must ship with it`);
writeFileSync(resolve(dirname(outPath), 'LICENSE'), readFileSync(licence));
console.log(`${relative(repoRoot, outPath)}: ${picked.size} schemas, ${Buffer.byteLength(text)} bytes ` +
  `(from ${spec.info?.title} ${spec.info?.version})`);
