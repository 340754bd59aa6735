/**
 * Bad inputs derived from the OpenAPI document's schemas, for the route fuzz test (test/platform/route-fuzz.test.ts).
 * Deterministic: the same document gives the same inputs, so a failure always reproduces.
 */
export type Schema = Record<string, any>;
export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}
export interface Operation {
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: 'path' | 'query'; required?: boolean; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

/**
 * `plain`: a small value of the right shape. `nul`: right shape, strings carry a NUL byte. `max` / `min`: right
 * shape at the edges the schema allows (or far beyond them where it sets none). `deep`: recursive schemas
 * (rules, journeys) nested a few thousand levels.
 */
export type Mode = 'plain' | 'nul' | 'max' | 'min' | 'deep';

const DEEP_LEVELS = 1500;

export function resolve(doc: OpenApiDoc, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; s.$ref && i < 10; i++) s = doc.components.schemas[String(s.$ref).split('/').pop()!] ?? {};
  return s;
}

function typeOf(s: Schema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t: string) => t !== 'null');
  if (s.type) return s.type;
  if (s.properties) return 'object';
  return undefined;
}

/** A value shaped like the schema, in the given mode. */
export function sample(doc: OpenApiDoc, schema: Schema | undefined, mode: Mode, depth = 0): unknown {
  const s = resolve(doc, schema);
  const limit = mode === 'deep' ? DEEP_LEVELS : 6;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[mode === 'max' ? s.enum.length - 1 : 0];
  const options: Schema[] | undefined = s.oneOf ?? s.anyOf;
  if (options) {
    const real = options.filter((o) => resolve(doc, o).type !== 'null');
    // Deep mode follows the option that nests (mentions a $ref) until the budget is spent, then a leaf.
    const nests = (o: Schema) => JSON.stringify(o).includes('$ref');
    const pick = mode === 'deep' && depth < limit ? real.find(nests) ?? real[0] : real.find((o) => !nests(o)) ?? real[0];
    return sample(doc, pick ?? {}, mode, depth + 1);
  }
  if (s.allOf) return Object.assign({}, ...s.allOf.map((p: Schema) => sample(doc, p, mode, depth + 1)));
  switch (typeOf(s)) {
    case 'string':
      return stringSample(s, mode);
    case 'integer':
      if (mode === 'max') return s.maximum ?? 9007199254740991;
      if (mode === 'min') return s.minimum ?? -9007199254740991;
      return Math.max(1, s.minimum ?? 1);
    case 'number':
      if (mode === 'max') return s.maximum ?? 1e15; // beyond numeric(14, 2), yet a multiple of 0.01
      if (mode === 'min') return s.minimum ?? -1e15;
      return Math.max(1, s.minimum ?? 1);
    case 'boolean':
      return mode !== 'min';
    case 'array': {
      if (depth >= limit) return [];
      const n = mode === 'max' ? Math.min(s.maxItems ?? 3, 200) : Math.max(s.minItems ?? 1, 1);
      return Array.from({ length: n }, () => sample(doc, s.items, mode, depth + 1));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set<string>(s.required ?? []);
      for (const [k, v] of Object.entries<Schema>(s.properties ?? {})) {
        if (depth >= limit && !required.has(k)) continue;
        if (mode === 'deep' && !required.has(k) && !JSON.stringify(v).includes('$ref')) continue;
        out[k] = sample(doc, v, mode, depth + 1);
      }
      if (!s.properties && s.additionalProperties && typeof s.additionalProperties === 'object') {
        out[mode === 'nul' ? 'k\u0000' : 'constructor'] = sample(doc, s.additionalProperties, mode, depth + 1);
      }
      return out;
    }
    default:
      // An unconstrained schema is how coerced dates (z.coerce.date) appear in the document: give date text,
      // at the ends of what JavaScript dates hold for max / min.
      if (mode === 'max') return '+275760-09-13T00:00:00.000Z';
      if (mode === 'min') return '-271821-04-20T00:00:00.000Z';
      return mode === 'nul' ? '2026-01-01\u0000' : '2026-01-01T00:00:00Z';
  }
}

function stringSample(s: Schema, mode: Mode): string {
  const far = mode === 'max';
  switch (s.format) {
    case 'date-time':
      return mode === 'max' ? '9999-12-31T23:59:59.999Z' : mode === 'min' ? '0001-01-01T00:00:00Z' : '2026-01-01T00:00:00Z';
    case 'date':
      return mode === 'max' ? '9999-12-31' : mode === 'min' ? '0001-01-01' : '2026-01-01';
    case 'email':
      return mode === 'nul' ? 'a\u0000@example.com' : 'a@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
  }
  if (mode === 'nul') return 'a\u0000b';
  if (far) return 'x'.repeat(Math.min(s.maxLength ?? 300, 100_000));
  return 'x'.repeat(Math.max(s.minLength ?? 1, 1));
}

/** The schema's top-level fields, each given a value of the wrong type. */
export function wrongTyped(doc: OpenApiDoc, schema: Schema | undefined): Record<string, unknown> {
  const s = resolve(doc, schema);
  const props = (s.properties ?? resolve(doc, (s.oneOf ?? s.anyOf)?.[0]).properties ?? {}) as Record<string, Schema>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) out[k] = wrongValue(resolve(doc, v));
  return Object.keys(out).length ? out : { name: 12345, id: { a: 1 } };
}

function wrongValue(s: Schema): unknown {
  if (Array.isArray(s.enum)) return '__not_in_enum__';
  switch (typeOf(s)) {
    case 'string':
      return 12345;
    case 'integer':
    case 'number':
      return 'abc';
    case 'boolean':
      return 'yes';
    case 'array':
      return 'not-an-array';
    case 'object':
      return ['not', 'an', 'object'];
    default:
      return { unexpected: true };
  }
}

/** Query values for one parameter: wrong types, edges, NUL and oversize, from its schema and in general. */
export function queryValues(doc: OpenApiDoc, schema: Schema | undefined): string[] {
  const s = resolve(doc, schema);
  const fromSchema = (['max', 'min', 'nul'] as const).map((m) => sample(doc, s, m)).filter((v) => typeof v !== 'object');
  // Forged paging cursors: base64url JSON arrays of strings, the shape keyset cursors decode to, with bad contents.
  const cursors = [['x'], ['x', 'x'], ['x', 'x', 'x'], ['2026-01-01T00:00:00Z', 'abc', 'abc']].map((k) => Buffer.from(JSON.stringify(k)).toString('base64url'));
  const general = ['abc', '-1', '0', '1.5', '99999999999999999999', '', 'constructor', '__proto__', '{"a":1}', 'x'.repeat(300), '\u0000', 'true', ...cursors];
  return [...new Set([...fromSchema.map(String), ...general])];
}
