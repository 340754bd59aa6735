import { isUtf8 } from 'node:buffer';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { zodIssuesToDetails } from '../../platform/http/validation.js';
import { fastBatchEnvelopeOk } from './fast-validate.js';
import { AliasMessage, BatchRequest, GroupMessage, IdentifyMessage, IngestResponse, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, PageMessage, ScreenMessage, TrackMessage } from './schema.js';
import { ingestMessages, intakeApplier, setIngestParallelism, type IntakeBody } from './accept.js';
import { intakeBacklog } from './intake.js';
import { addBackgroundStarter } from '../../apps/server/background.js';

/**
 * Segment's HTTP tracking API. Bodies are read raw so size limits and malformed JSON get Segment-style 400s with
 * our error codes (Fastify's own parser would answer 413 or a generic error).
 */
export function registerIngestRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  // PostgreSQL: two flushes at once, so the database works on one while the other commits (2 cores here). PGlite
  // has one connection: a second flush would only queue, and split the requests that could have shared the first.
  setIngestParallelism(db, ctx.database.kind === 'postgres' ? 2 : 1);
  // An access-log line per request costs CPU on the hottest path: ingest logs warnings and errors
  // only, unless LOG_LEVEL asks for debug or trace.
  const logLevel = process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace' ? process.env.LOG_LEVEL : 'warn';
  app.register(async (scope) => {
    // analytics.js may send text/plain (to skip a CORS preflight): every content type is read as JSON here.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 4 * MAX_BATCH_BYTES }, (request, body, done) => {
      const limit = BATCH_URLS.includes(request.routeOptions.url ?? '') ? MAX_BATCH_BYTES : MAX_MESSAGE_BYTES;
      let buf: Buffer;
      try {
        buf = decodedBody(body as Buffer, request.headers['content-encoding'], limit);
      } catch (err) {
        return done(err as Error, undefined);
      }
      if (buf.length > limit) {
        done(new AppError('payload_too_large', `request body is ${buf.length} bytes; the limit is ${limit} (${limit / 1024} KB)`), undefined);
        return;
      }
      if (buf.length === 0) return done(new AppError('invalid_json', 'empty body: send a JSON object'), undefined);
      try {
        const parsed: unknown = JSON.parse(buf.toString('utf8'));
        // Kept for the intake, which stores the body as received rather than re-serialising the parsed messages: as
        // the bytes received when they are valid UTF-8 (sent as a binary parameter, they skip the encoding of a large
        // string again), otherwise as the decoded text (PostgreSQL would refuse the bytes; decoding replaced them).
        (request as { ingestBody?: Buffer | string }).ingestBody = isUtf8(buf) ? buf : buf.toString('utf8');
        done(null, parsed);
      } catch (err) {
        done(new AppError('invalid_json', `malformed JSON: ${(err as Error).message}`), undefined);
      }
    });

    const tags = ['Ingest (Segment tracking API)'];
    const single = [
      ['identify', IdentifyMessage, 'Identify a person and record their traits'],
      ['track', TrackMessage, 'Record an action a person performed'],
      ['page', PageMessage, 'Record a page view'],
      ['screen', ScreenMessage, 'Record a mobile screen view'],
      ['group', GroupMessage, 'Associate a person with a group (company, household…)'],
      ['alias', AliasMessage, 'Link a previous id (usually the anonymous id) to a user id'],
    ] as const;
    allowBrowsers(scope);
    // analytics.js (analytics-next) posts each call to the type's first letter: /v1/t, /v1/i, /v1/p, /v1/s, /v1/g, /v1/a.
    const routes = single.flatMap(([type, schema, summary]) => [
      [type, `/v1/${type}`, schema, summary] as const,
      [type, `/v1/${type.charAt(0)}`, schema, `${summary} (analytics.js's short path for /v1/${type})`] as const,
    ]);
    for (const [type, url, schema, summary] of routes) {
      defineRoute(
        scope,
        { method: 'POST', url, summary, tags, auth: 'write', documentBodyOnly: true, body: (schema as typeof TrackMessage).extend({ writeKey: z.string().optional() }) as z.ZodType, response: IngestResponse },
        async ({ workspaceId, request }) => {
          const body = request.body as Record<string, unknown>;
          if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AppError('invalid_request', 'body must be a JSON object');
          const { writeKey: _key, ...message } = body;
          if (message.type !== undefined && message.type !== type) {
            throw new AppError('invalid_request', `body.type is "${String(message.type)}" but this is /v1/${type}`, [{ path: 'body.type', message: `must be ${type}` }]);
          }
          const result = await ingestMessages(db, workspaceId, [{ ...message, type }], { single: true, intakeBody: intakeBody(request, body, type), requestIp: request.ip });
          return { success: true, ...result };
        },
      );
    }

    for (const url of BATCH_URLS) {
      const summary = url === '/v1/batch' ? 'Send up to 500 KB of messages of any type at once' : `Same as /v1/batch (${url === '/v1/b' ? "analytics.js's batching path" : "Segment's import path"})`;
      defineRoute(
        scope,
        { method: 'POST', url, summary, tags, auth: 'write', documentBodyOnly: true, body: BatchRequest, response: IngestResponse },
        async ({ workspaceId, request }) => {
          const body = batchEnvelope(request.body);
          const result = await ingestMessages(db, workspaceId, body.batch, {
            batchContext: body.context,
            batchIntegrations: body.integrations,
            batchSentAt: body.sentAt,
            intakeBody: intakeBody(request, body as Record<string, unknown>, 'batch'),
            requestIp: request.ip,
          });
          return { success: true, ...result };
        },
      );
    }
  }, { logLevel });

  defineRoute(
    app,
    {
      method: 'GET',
      url: '/api/v1/ingest/backlog',
      summary: 'Requests accepted under load and not yet applied (the ingest intake): count, events and the oldest one’s age',
      tags: ['Ingest (Segment tracking API)'],
      auth: 'admin',
      response: z.object({ data: IntakeBacklogSchema }),
    },
    async ({ workspaceId }) => ({ data: await intakeBacklog(db, workspaceId) }),
  );

  if (!applierRegistered) {
    applierRegistered = true;
    addBackgroundStarter(startIntakeApplier);
    // A serving process without workers (`--no-workers`) still applies what it queued itself: on shutdown, let
    // its running batches commit (the rest stays queued for whoever drains next).
    addBackgroundStarter(async (ctx) => async () => intakeApplier.stop(ctx.database.db), 'serving');
  }
}

/**
 * The body as sent, uncompressed: RudderStack's server SDKs gzip every batch by default (Content-Encoding: gzip),
 * as do other Segment-compatible libraries. The limits are Segment's, on the uncompressed JSON; inflating stops
 * just past them, so a small body that inflates to gigabytes costs nothing.
 */
function decodedBody(raw: Buffer, contentEncoding: string | undefined, limit: number): Buffer {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return raw;
  const options = { maxOutputLength: limit + 1 };
  const inflaters: Record<string, Array<(b: Buffer) => Buffer>> = {
    gzip: [(b) => zlib.gunzipSync(b, options)],
    'x-gzip': [(b) => zlib.gunzipSync(b, options)],
    // HTTP's deflate is zlib-wrapped; some clients send it raw.
    deflate: [(b) => zlib.inflateSync(b, options), (b) => zlib.inflateRawSync(b, options)],
    br: [(b) => zlib.brotliDecompressSync(b, options)],
  };
  const ways = Object.hasOwn(inflaters, encoding) ? inflaters[encoding]! : undefined;
  if (!ways) throw new AppError('invalid_request', `content-encoding "${encoding.slice(0, 40)}" is not supported: send gzip, deflate, br or none`);
  let failure: Error | undefined;
  for (const inflate of ways) {
    try {
      return inflate(raw);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new AppError('payload_too_large', `request body inflates past the limit of ${limit} bytes (${limit / 1024} KB)`);
      }
      failure ??= err as Error;
    }
  }
  throw new AppError('invalid_request', `the body is not valid ${encoding} data: ${failure?.message ?? ''}`);
}

/** Batch paths: Segment's, analytics.js's batching dispatcher's, and Segment's older import path. */
const BATCH_URLS = ['/v1/batch', '/v1/b', '/v1/import'];

/**
 * Web pages and H5 send from their own origin (analytics.js, RudderStack's JavaScript SDK): every ingest answer
 * allows any origin, as Segment's API does (a write key is public in a page anyway, and no cookie is involved), and
 * a preflight is answered for the headers the page asks to send (Authorization, RudderStack's AnonymousId…).
 * Without it the browser hides each answer from the page, which then counts the call as failed and sends it again.
 */
function allowBrowsers(scope: FastifyInstance): void {
  scope.addHook('onRequest', async (request, reply) => {
    if (request.headers.origin !== undefined) reply.header('access-control-allow-origin', '*');
  });
  scope.options('/v1/*', async (request, reply) => {
    const asked = request.headers['access-control-request-headers'];
    reply
      .code(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', typeof asked === 'string' && asked.length <= 1_000 ? asked : 'Authorization, Content-Type')
      .header('access-control-max-age', '86400');
    return reply.send();
  });
}

const IntakeBacklogSchema = z.object({
  rows: z.number().int().describe('requests waiting in the intake'),
  events: z.number().int().describe('their messages'),
  oldestAgeSeconds: z.number().describe('age of the oldest waiting request (0 when none waits)'),
  failedRows: z.number().int().describe('requests the database refused to apply, kept in ingest_intake_failed with the reason'),
});

let applierRegistered = false;

/**
 * In every process that runs background work (`siyu serve`, `siyu worker`): apply what the intake holds at
 * start-up (a previous process may have stopped with a backlog), then sweep every 250 ms for rows other processes
 * accepted (this process's own intake commits wake its applier at once). Stopping lets the running batches commit;
 * rows not yet applied stay in the intake for the next start.
 */
async function startIntakeApplier(ctx: AppContext, opts: { log: (message: string) => void }): Promise<() => Promise<void>> {
  const { db } = ctx.database;
  intakeApplier.restart(db);
  const waiting = await intakeBacklog(db);
  if (waiting.rows) opts.log(`applying ${waiting.events} ingested events left in the intake (${waiting.rows} requests)`);
  await intakeApplier.sweep(db);
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    intakeApplier
      .sweep(db)
      .catch((err) => opts.log(`ingest intake sweep failed: ${(err as Error).message}`))
      .finally(() => (sweeping = false));
  }, 250);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await intakeApplier.stop(db);
  };
}

/**
 * The body to keep in the intake: the body as received, unless it carries the write key (a secret: then the parsed
 * body without it is serialised), or was not parsed from text here.
 */
function intakeBody(request: FastifyRequest, body: Record<string, unknown>, kind: string): IntakeBody {
  const received = (request as { ingestBody?: Buffer | string }).ingestBody;
  if (received !== undefined && body.writeKey === undefined) return { kind, text: received };
  const { writeKey: _key, ...rest } = body;
  return { kind, text: JSON.stringify(rest) };
}

/** The /v1/batch envelope, checked by hand on the hot path; zod names the problem when the check fails. */
function batchEnvelope(body: unknown): z.output<typeof BatchRequest> {
  if (fastBatchEnvelopeOk(body)) return body;
  const parsed = BatchRequest.safeParse(body);
  if (parsed.success) return parsed.data;
  const details = zodIssuesToDetails(parsed.error, 'body');
  throw new AppError('invalid_request', `invalid body: ${details.map((d) => `${d.path ? `${d.path}: ` : ''}${d.message}`).join('; ')}`, details);
}
