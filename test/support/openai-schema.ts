// Validates OpenAI streaming payloads against the schemas extracted from OpenAI's
// published OpenAPI spec (test/fixtures/openai/stream-schemas.json, see its README).
//
//   validateResponseStreamEvent(event): string[]   // Responses API SSE event
//   validateChatCompletionChunk(chunk): string[]   // chat.completion.chunk
//   validateAgainst(schemaName, value): string[]   // any extracted schema, e.g. 'Response'
//
// An empty array means valid; otherwise one readable line per problem.
//
// The fixture is verbatim OpenAPI 3.1, which is JSON Schema 2020-12 plus a few
// OpenAPI-isms that Ajv would ignore or reject. They are translated here, once:
//  - `nullable: true` (an OpenAPI 3.0 keyword the spec still uses) means "or null";
//    Ajv's own support needs a sibling `type` and ignores `enum`, so it is rewritten
//    into JSON Schema (`type: [t, "null"]`, `null` added to `enum`, or `anyOf` with null).
//  - `discriminator` is not a JSON Schema keyword. Where every union member pins a
//    distinct, required tag, the union is rewritten into an equivalent tag dispatch
//    (if tag is X then member X), so errors name the real problem instead of listing
//    every member's; other discriminators are dropped, leaving the plain union.
//  - `$recursiveRef` (2019-09, used by CompoundFilter) becomes a plain `$ref`.
//  - `example` and `x-*` annotations are dropped; formats are not checked
//    (the spec's `unixtime`/`float` are not JSON Schema formats).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';

type Schema = { [key: string]: unknown };

interface Fixture {
  header: { source: { title: string; version: string }; refPrefix: string };
  schemas: Record<string, Schema>;
}

const FIXTURE = join('test', 'fixtures', 'openai', 'stream-schemas.json');
const DOC_ID = 'openai-stream-schemas.json';
const MAX_ERRORS = 12;

// Walk up from this file (compiled to out/test/support, or run from test/support)
// to the repo root, so the fixture is found without copying it into out/.
function findFixture(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, FIXTURE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${FIXTURE} above ${__dirname}`);
  }
}

const SUBSCHEMA_KEYS = ['items', 'additionalProperties', 'not', 'propertyNames', 'contains', 'if', 'then', 'else'];
const SUBSCHEMA_LIST_KEYS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SUBSCHEMA_MAP_KEYS = ['properties', 'patternProperties', 'dependentSchemas'];

class Translator {
  constructor(
    private readonly schemas: Record<string, Schema>,
    private readonly refPrefix: string,
  ) {}

  translateAll(): Record<string, Schema> {
    const out: Record<string, Schema> = {};
    for (const [name, schema] of Object.entries(this.schemas)) {
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`unexpected schema name ${name}`);
      out[name] = this.translate(schema, name);
    }
    return out;
  }

  private resolve(schema: unknown): Schema | undefined {
    if (!isObject(schema)) return undefined;
    const ref = schema.$ref;
    return typeof ref === 'string' ? this.schemas[ref.slice(this.refPrefix.length)] : schema;
  }

  /**
   * The tag values a union branch accepts, if it pins the tag with const/enum and requires
   * it (directly, via $ref, or across allOf members); undefined if it does not.
   */
  private tagsOf(schema: unknown, tag: string, depth = 0): string[] | undefined {
    const info = this.tagInfo(schema, tag, depth);
    return info.required ? info.values : undefined;
  }

  private tagInfo(schema: unknown, tag: string, depth: number): { values?: string[]; required: boolean } {
    const target = this.resolve(schema);
    if (!target || depth > 8) return { required: false };
    const prop = isObject(target.properties) ? target.properties[tag] : undefined;
    const own = isObject(prop) ? ('const' in prop ? [prop.const] : prop.enum) : undefined;
    let values = Array.isArray(own) && own.length > 0 && own.every((v) => typeof v === 'string') ? (own as string[]) : undefined;
    let required = Array.isArray(target.required) && target.required.includes(tag);
    for (const member of Array.isArray(target.allOf) ? target.allOf : []) {
      const inner = this.tagInfo(member, tag, depth + 1);
      values ??= inner.values;
      required ||= inner.required;
    }
    return { values, required };
  }

  /**
   * For a `discriminator`-tagged union whose branches each pin a distinct, required tag,
   * an equivalent schema that validates only the branch named by the tag (at most one
   * branch can match such data, so this is exactly the union's meaning). Ajv would
   * otherwise report every member's errors; its own `discriminator` support cannot see
   * tags declared through allOf, which OutputItem's branches use.
   */
  private dispatchOnTag(node: Schema, translated: Schema): Schema | undefined {
    const discriminator = node.discriminator;
    if (!isObject(discriminator) || typeof discriminator.propertyName !== 'string' || discriminator.mapping !== undefined) return undefined;
    const union = Array.isArray(node.oneOf) ? 'oneOf' : Array.isArray(node.anyOf) ? 'anyOf' : undefined;
    if (!union || (union === 'anyOf' && node.oneOf !== undefined)) return undefined;
    const tag = discriminator.propertyName;
    const branches = node[union] as unknown[];
    const tags = branches.map((b) => this.tagsOf(b, tag));
    const all = tags.flat();
    if (tags.some((t) => t === undefined) || new Set(all).size !== all.length) return undefined;

    const { [union]: members, ...rest } = translated;
    const dispatch: Schema = {
      type: 'object',
      required: [tag],
      properties: { [tag]: { enum: all } },
      allOf: (members as Schema[]).map((branch, i) => ({ if: { required: [tag], properties: { [tag]: { enum: tags[i] } } }, then: branch })),
    };
    return { ...rest, allOf: [...(Array.isArray(rest.allOf) ? rest.allOf : []), dispatch] };
  }

  private translate(node: Schema, component: string): Schema {
    const out: Schema = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'example' || key.startsWith('x-') || key === 'nullable' || key === 'discriminator' || key === '$recursiveAnchor') continue;
      if (key === '$ref') {
        if (typeof value !== 'string' || !value.startsWith(this.refPrefix)) throw new Error(`unsupported $ref ${String(value)}`);
        out.$ref = `#/$defs/${value.slice(this.refPrefix.length)}`;
      } else if (key === '$recursiveRef') {
        // Only the form the spec uses: "#" pointing at the enclosing anchored component.
        if (value !== '#' || this.schemas[component]?.$recursiveAnchor !== true) throw new Error(`unsupported $recursiveRef in ${component}`);
        out.$ref = `#/$defs/${component}`;
      } else if (SUBSCHEMA_KEYS.includes(key) && isObject(value)) {
        out[key] = this.translate(value, component);
      } else if (SUBSCHEMA_LIST_KEYS.includes(key) && Array.isArray(value)) {
        out[key] = value.map((s) => (isObject(s) ? this.translate(s, component) : s));
      } else if (SUBSCHEMA_MAP_KEYS.includes(key) && isObject(value)) {
        out[key] = Object.fromEntries(Object.entries(value).map(([k, s]) => [k, isObject(s) ? this.translate(s, component) : s]));
      } else {
        out[key] = value; // keywords with plain values (type, enum, required, ...) and annotations
      }
    }

    const result = this.dispatchOnTag(node, out) ?? out;
    return node.nullable === true ? withNull(result) : result;
  }
}

function withNull(schema: Schema): Schema {
  if (typeof schema.type === 'string') {
    const out: Schema = { ...schema, type: [schema.type, 'null'] };
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
    return out;
  }
  if (Array.isArray(schema.type)) {
    const out: Schema = { ...schema, type: schema.type.includes('null') ? schema.type : [...schema.type, 'null'] };
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
    return out;
  }
  return { anyOf: [schema, { type: 'null' }] };
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

let compiled: { ajv: Ajv2020; source: string; cache: Map<string, ValidateFunction> } | undefined;

function load() {
  if (compiled) return compiled;
  const fixture = JSON.parse(readFileSync(findFixture(), 'utf8')) as Fixture;
  const defs = new Translator(fixture.schemas, fixture.header.refPrefix).translateAll();
  // strict:false: the spec carries annotations Ajv does not know (title, deprecated, ...).
  // verbose: keep the offending value on each error, for the messages.
  const ajv = new Ajv2020({ strict: false, allErrors: true, verbose: true, validateFormats: false });
  ajv.addSchema({ $id: DOC_ID, $defs: defs });
  const { title, version } = fixture.header.source;
  compiled = { ajv, source: `${title} ${version}`, cache: new Map() };
  return compiled;
}

function validator(name: string): ValidateFunction {
  const { ajv, cache } = load();
  let fn = cache.get(name);
  if (!fn) {
    fn = ajv.getSchema(`${DOC_ID}#/$defs/${name}`);
    if (!fn) throw new Error(`schema ${name} is not in ${FIXTURE}`);
    cache.set(name, fn);
  }
  return fn;
}

function formatError(error: ErrorObject): string {
  const where = error.instancePath || '(root)';
  const p = error.params as Record<string, unknown>;
  let detail = '';
  if (error.keyword === 'enum') {
    const allowed = p.allowedValues as unknown[];
    detail = allowed.length <= 8 ? ` ${JSON.stringify(allowed)}` : ` (${allowed.length} values)`;
  } else if (error.keyword === 'const') {
    detail = ` ${JSON.stringify(p.allowedValue)}`;
  } else if (error.keyword === 'additionalProperties') {
    detail = ` (${String(p.additionalProperty)})`;
  }
  if (error.keyword !== 'required' && error.data !== undefined) detail += `, got ${preview(error.data)}`;
  return `${where} ${error.message ?? error.keyword}${detail}`;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Validates `value` against the extracted schema `name`; [] if valid. */
export function validateAgainst(name: string, value: unknown): string[] {
  const fn = validator(name);
  if (fn(value)) return [];
  // An `if` error only says "must match then schema"; the branch's own errors follow it.
  const errors = (fn.errors ?? []).filter((e) => e.keyword !== 'if');
  const lines = [...new Set(errors.map(formatError))];
  const shown = lines.slice(0, MAX_ERRORS);
  if (lines.length > shown.length) shown.push(`... and ${lines.length - shown.length} more`);
  return shown.map((line) => `${name}: ${line}`);
}

/** One Responses API streaming event (the JSON in an SSE `data:` line). */
export function validateResponseStreamEvent(event: unknown): string[] {
  return validateAgainst('ResponseStreamEvent', event);
}

/** One Chat Completions stream chunk (`object: "chat.completion.chunk"`). */
export function validateChatCompletionChunk(chunk: unknown): string[] {
  return validateAgainst('CreateChatCompletionStreamResponse', chunk);
}

/** Title and version of the spec the schemas were extracted from, for messages. */
export function schemaSource(): string {
  return load().source;
}
