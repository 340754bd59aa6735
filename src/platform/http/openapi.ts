import { z, type ZodType } from 'zod';
import type { RouteSpec } from './route.js';

interface Operation {
  method: string;
  path: string;
  spec: RouteSpec<ZodType, ZodType, ZodType>;
}

const operations = new Map<string, Operation>();

/** Routes register here as they are defined; the document is built from the same zod schemas that validate. */
export function registerOperation(spec: RouteSpec<ZodType, ZodType, ZodType>): void {
  const path = spec.url.replace(/:([A-Za-z_]+)/g, '{$1}');
  operations.set(`${spec.method} ${path}`, { method: spec.method.toLowerCase(), path, spec });
}

/** Shared definitions (recursive schemas such as rules) hoisted out of operations into components.schemas. */
const sharedDefinitions: Record<string, unknown> = {};

function toSchema(schema: ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  try {
    const { $schema: _drop, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
    for (const [name, def] of Object.entries(($defs as Record<string, unknown> | undefined) ?? {})) sharedDefinitions[name] = rewriteRefs(def);
    return rewriteRefs(rest) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewriteRefs(v)]),
    );
  }
  return value;
}

function parameters(schema: ZodType | undefined, location: 'query' | 'path') {
  if (!schema) return [];
  const json = toSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

export function buildOpenApiDocument(info: { title: string; version: string; description?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = [...operations.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  for (const op of sorted) {
    const { spec } = op;
    const security =
      spec.auth === 'admin' ? [{ adminToken: [] }] : spec.auth === 'write' ? [{ writeKeyBasic: [] }, { writeKeyBody: [] }] : [];
    (paths[op.path] ??= {})[op.method] = {
      summary: spec.summary,
      tags: spec.tags,
      security,
      parameters: [...parameters(spec.params, 'path'), ...parameters(spec.query, 'query')],
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(spec.body) } } } } : {}),
      responses: {
        [String(spec.status ?? 200)]: {
          description: 'OK',
          ...(spec.response ? { content: { 'application/json': { schema: toSchema(spec.response, 'output') } } } : {}),
        },
        '400': { description: 'Invalid request', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ...(spec.auth !== 'none' ? { '401': { description: 'Missing or invalid credentials' } } : {}),
        ...Object.fromEntries(
          Object.entries(spec.errors ?? {}).map(([status, e]) => [status, { description: e.description, content: { 'application/json': { schema: toSchema(e.schema, 'output') } } }]),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'Admin token of a workspace' },
        writeKeyBasic: { type: 'http', scheme: 'basic', description: 'Segment-style: write key as the user name, empty password' },
        writeKeyBody: { type: 'apiKey', in: 'header', name: 'X-Write-Key-In-Body', description: '`writeKey` in the JSON body' },
      },
      schemas: {
        ...sharedDefinitions,
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, index: { type: 'integer' }, message: { type: 'string' } } } },
              },
              required: ['code', 'message'],
            },
          },
        },
      },
    },
  };
}
