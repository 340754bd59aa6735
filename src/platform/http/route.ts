import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z, type ZodType } from 'zod';
import { AppError } from '../errors.js';
import { findNulCharacter, MAX_BODY_DEPTH, nestsDeeperThan, zodIssuesToDetails } from './validation.js';
import { registerOperation } from './openapi.js';

export type AuthKind = 'admin' | 'write' | 'none';

export interface RouteSpec<B extends ZodType, Q extends ZodType, P extends ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path, e.g. `/api/v1/profiles/:id`. */
  url: string;
  summary: string;
  tags: string[];
  auth: AuthKind;
  body?: B;
  query?: Q;
  params?: P;
  /** Documents the 200 answer in the OpenAPI document. */
  response?: ZodType;
  /** Error answers beyond the usual 400/401 that carry more than `{ error: { code, message } }`, by status. */
  errors?: Record<number, { description: string; schema: ZodType }>;
  /** Status of a successful answer (default 200). */
  status?: number;
  bodyLimit?: number;
  /** The body schema only documents; the handler validates itself (e.g. to report Segment-style errors). */
  documentBodyOnly?: boolean;
}

export interface HandlerInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  /** The caller's workspace, set for `admin` and `write` routes. */
  workspaceId: string;
  /** Who acted, for audit trails (`token:key_…`, `user:…`). */
  actor: string;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** Resolves the caller's workspace for an auth kind; installed by the server (see server.ts). */
export type Authenticator = (request: FastifyRequest, kind: Exclude<AuthKind, 'none'>) => Promise<{ workspaceId: string; actor: string }>;

declare module 'fastify' {
  interface FastifyInstance {
    siyuAuthenticate: Authenticator;
  }
}

/** Installs how callers are authenticated; decorations on the root instance reach every plugin. */
export function setAuthenticator(app: FastifyInstance, auth: Authenticator): void {
  app.decorate('siyuAuthenticate', auth);
}

/**
 * Declares one route: zod validates params, query and body (errors become 400 with the offending path), the
 * caller is authenticated, and the route lands in the OpenAPI document. One schema per concept drives all three.
 */
export function defineRoute<B extends ZodType = ZodType<unknown>, Q extends ZodType = ZodType<unknown>, P extends ZodType = ZodType<unknown>>(
  app: FastifyInstance,
  spec: RouteSpec<B, Q, P>,
  handler: (input: HandlerInput<z.output<B>, z.output<Q>, z.output<P>>) => Promise<unknown>,
): void {
  registerOperation(spec);
  app.route({
    method: spec.method,
    url: spec.url,
    bodyLimit: spec.bodyLimit,
    handler: async (request, reply) => {
      let workspaceId = '';
      let actor = 'anonymous';
      if (spec.auth !== 'none') {
        ({ workspaceId, actor } = await request.server.siyuAuthenticate(request, spec.auth));
      }
      // Checked for every route, ingest too: a deeper body overflowed the stack where it was serialized (a 500).
      if (nestsDeeperThan(request.body, MAX_BODY_DEPTH)) throw new AppError('invalid_request', `the body nests deeper than ${MAX_BODY_DEPTH} levels`);
      const params = parse(spec.params, request.params, 'params');
      const query = parse(spec.query, request.query, 'query');
      const body = spec.documentBodyOnly ? request.body : parse(spec.body, request.body, 'body');
      const result = await handler({ body, query, params, workspaceId, actor, request, reply } as HandlerInput<
        z.output<B>,
        z.output<Q>,
        z.output<P>
      >);
      if (reply.sent) return reply;
      reply.code(spec.status ?? 200);
      return result ?? {};
    },
  });
}

function parse(schema: ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return value;
  const nulAt = findNulCharacter(value, where);
  if (nulAt) throw new AppError('invalid_request', `invalid ${where}: ${nulAt}: must not contain the NUL character (\\u0000)`, [{ path: nulAt, message: 'must not contain the NUL character (\\u0000)' }]);
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) {
    const details = zodIssuesToDetails(result.error, where);
    throw new AppError('invalid_request', `invalid ${where}: ${details.map((d) => `${d.path ? `${d.path}: ` : ''}${d.message}`).join('; ')}`, details);
  }
  return result.data;
}
