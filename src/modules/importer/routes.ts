import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import type { AppContext } from '../../platform/http/context.js';
import { CsvDownloadQuery, sendCsv } from '../../platform/http/csv-download.js';
import { defineRoute } from '../../platform/http/route.js';
import { principalOf } from '../users/index.js';
import { IMPORT_KINDS } from './apply.js';
import { IMPORT_ENCODINGS } from './decode.js';
import { getImport, importConflicts, importRejects, listImports, startImport } from './jobs.js';
import { importTemplate } from './templates.js';

const ImportJobView = z.object({
  id: z.string(),
  kind: z.enum(IMPORT_KINDS),
  format: z.enum(['csv', 'jsonl']),
  fileName: z.string(),
  status: z.enum(['running', 'done', 'failed']),
  rows: z.number().int().describe('rows read so far'),
  rowsTotal: z.number().int().describe("the file's rows (from its line count until the import ends)"),
  imported: z.number().int(),
  unchanged: z.number().int(),
  rejected: z.number().int(),
  conflicts: z
    .number()
    .int()
    .describe(
      'of the imported rows, those stored with an identity conflict: OneID kept one of their identifiers apart because another profile holds it (e.g. a phone of a profile with another member number); GET /api/v1/imports/{id}/conflicts lists them with line and reason. Rows found already stored (a re-run) count as unchanged, not here',
    ),
  bytesRead: z.number().int(),
  totalBytes: z.number().int(),
  encoding: z.enum(IMPORT_ENCODINGS).nullable().describe("the file's text encoding, once known (given, or read off its first bytes)"),
  dryRun: z.boolean().describe('a check only: each chunk applied against the stored data and rolled back, nothing written; the counts and rejects are what the import would report'),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
});
const IdParams = z.object({ id: z.string().min(1).max(64) });
/** File types a browser form cannot send: with the SameSite cookie, a cross-site page cannot start an import. */
const FILE_TYPES = ['text/csv', 'application/csv', 'application/x-ndjson', 'application/jsonl', 'application/octet-stream'];

/** Imports go through owners and operators (admin tokens act as owners). */
function requireImporter(request: FastifyRequest): void {
  const role = principalOf(request)?.role;
  if (role !== 'owner' && role !== 'operator') throw new AppError('forbidden', 'only owners and operators can import data');
}

/**
 * The console's import: upload a members or orders file (the body is the file, streamed to a temporary file),
 * poll its progress, download the rejected rows. The same importer as `siyu import`.
 */
export function registerImportRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(FILE_TYPES, (_request, payload, done) => done(null, payload));
    scope.addContentTypeParser('*', (request, _payload, done) =>
      done(new AppError('invalid_request', `send the file itself as the body, with content-type text/csv or application/x-ndjson (got ${request.headers['content-type'] ?? 'none'})`), undefined),
    );
    const tags = ['Import'];

    defineRoute(
      scope,
      {
        method: 'POST',
        url: '/api/v1/imports',
        summary: 'Start importing a members, orders or refunds file (CSV with a header row, or JSON lines); poll GET /api/v1/imports/{id}',
        tags,
        auth: 'admin',
        status: 202,
        query: z.object({
          kind: z.enum(IMPORT_KINDS),
          format: z.enum(['csv', 'jsonl']).optional().describe('default: from the file name, else csv'),
          fileName: z.string().max(200).optional(),
          encoding: z
            .enum(['auto', 'utf-8', 'utf8', 'gb18030', 'gbk', 'gb2312', 'big5', 'windows-1252', 'latin1', 'utf-16le', 'utf-16be'])
            .optional()
            .describe("the file's text encoding; default auto: a byte-order mark, else UTF-8 if the text is valid UTF-8, else GB18030 (GBK)"),
          dryRun: z.enum(['true', 'false']).optional().describe('true: apply each chunk as the import would, against the stored data, and roll it back: the same counts and rejects, nothing written'),
        }),
        body: z.string().describe('the file (text/csv or application/x-ndjson)'),
        documentBodyOnly: true,
        response: ImportJobView,
      },
      async ({ query, workspaceId, request }) => {
        requireImporter(request);
        const body = request.body as Readable | undefined;
        if (!body || typeof (body as Readable).pipe !== 'function') throw new AppError('invalid_request', 'send the file as the request body');
        return startImport(ctx.database, workspaceId, { kind: query.kind, format: query.format, encoding: query.encoding, dryRun: query.dryRun === 'true', fileName: query.fileName, body });
      },
    );

    defineRoute(
      scope,
      { method: 'GET', url: '/api/v1/imports', summary: "This server's recent imports, newest first", tags, auth: 'admin', response: z.object({ data: z.array(ImportJobView) }) },
      async ({ workspaceId, request }) => {
        requireImporter(request);
        return { data: listImports(workspaceId) };
      },
    );

    defineRoute(
      scope,
      { method: 'GET', url: '/api/v1/imports/:id', summary: "An import's status and counts", tags, auth: 'admin', params: IdParams, response: ImportJobView },
      async ({ params, workspaceId, request }) => {
        requireImporter(request);
        return getImport(workspaceId, params.id);
      },
    );

    defineRoute(
      scope,
      {
        method: 'GET',
        url: '/api/v1/imports/templates/:kind',
        summary: 'A starter CSV for a members, orders or refunds import: the columns the importer reads and one example row',
        tags,
        auth: 'admin',
        params: z.object({ kind: z.enum(IMPORT_KINDS) }),
        query: z.object({ ...CsvDownloadQuery, lang: z.enum(['zh-CN', 'en']).default('zh-CN').describe('zh-CN: Chinese column names (as Excel exports write them); en: the importer\'s own') }),
      },
      async ({ params, query, request, reply }) => {
        requireImporter(request);
        const template = importTemplate(params.kind, query.lang);
        return sendCsv(reply, template.csv, template.fileName, query);
      },
    );

    defineRoute(
      scope,
      { method: 'GET', url: '/api/v1/imports/:id/rejects', summary: 'The rejected rows of a finished import as CSV (line, reason)', tags, auth: 'admin', params: IdParams, query: z.object(CsvDownloadQuery) },
      async ({ params, query, workspaceId, request, reply }) => {
        requireImporter(request);
        const csv = importRejects(workspaceId, params.id);
        return sendCsv(reply, csv, `${getImport(workspaceId, params.id).fileName}.rejects.csv`, query);
      },
    );

    defineRoute(
      scope,
      {
        method: 'GET',
        url: '/api/v1/imports/:id/conflicts',
        summary: 'The rows of a finished import that were imported with an identity conflict, as CSV (line, reason: which identifier another profile holds)',
        tags,
        auth: 'admin',
        params: IdParams,
        query: z.object(CsvDownloadQuery),
      },
      async ({ params, query, workspaceId, request, reply }) => {
        requireImporter(request);
        const csv = importConflicts(workspaceId, params.id);
        return sendCsv(reply, csv, `${getImport(workspaceId, params.id).fileName}.conflicts.csv`, query);
      },
    );
  });
}
