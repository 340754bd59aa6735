import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { AppError } from '../../platform/errors.js';
import { deleteExpiredSessions } from '../../modules/users/index.js';
import { addBackgroundStarter } from './background.js';

/** Where `npm run build:console` puts the console (override with SIYU_CONSOLE_DIR). */
export const consoleDistDir = () => process.env.SIYU_CONSOLE_DIR ?? fileURLToPath(new URL('../../../console/dist', import.meta.url));

// Expired sessions are refused anyway; the serving process sweeps them hourly so the table stays small.
addBackgroundStarter(async (ctx) => {
  const timer = setInterval(() => void deleteExpiredSessions(ctx.database.db).catch(() => undefined), 3_600_000);
  timer.unref();
  return async () => clearInterval(timer);
});

/** Paths that belong to the API: an unknown one is a JSON 404, never the console's index.html. */
const apiPrefixes = ['/api/', '/v1/', '/t/', '/u/', '/callbacks/', '/internal/'];
const apiPaths = new Set(['/api', '/v1', '/t', '/openapi.json', '/healthz']);
const isApiPath = (p: string) => apiPaths.has(p) || apiPrefixes.some((prefix) => p.startsWith(prefix));

/**
 * Serves the built console at `/`: hashed assets with a year's cache, anything else that is not an API path gets
 * index.html (the console routes in the browser). Without a build, `/` explains how to make one.
 */
export async function registerConsole(app: FastifyInstance): Promise<void> {
  const root = consoleDistDir();
  await app.register(fastifyStatic, { root, serve: false });

  app.get('/*', async (request, reply) => {
    const rawPath = request.url.split('?')[0] ?? '/';
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(rawPath);
    } catch {
      throw new AppError('invalid_request', `malformed path ${rawPath}`);
    }
    if (isApiPath(urlPath)) throw new AppError('not_found', `no route ${request.method} ${urlPath}`);
    const file = path.normalize(urlPath).replace(/^([/\\])+/, '');
    if (file && !file.startsWith('..') && fs.existsSync(path.join(root, file)) && fs.statSync(path.join(root, file)).isFile()) {
      const hashed = file.startsWith('assets/');
      const cache = { cacheControl: hashed, maxAge: hashed ? '365d' : 0, immutable: hashed };
      const compressed = precompressed(root, file, request.headers['accept-encoding']);
      if (!compressed) return reply.sendFile(file, cache);
      reply.header('content-encoding', compressed.encoding).header('vary', 'accept-encoding').type(compressed.type);
      return reply.sendFile(compressed.file, { ...cache, contentType: false });
    }
    if (!fs.existsSync(path.join(root, 'index.html'))) {
      reply.code(503).type('text/html; charset=utf-8');
      return `<!doctype html><meta charset="utf-8"><title>Siyu</title><p>The console is not built yet: run <code>npm run build:console</code> (or <code>npm start</code>, which builds it). The API is up: <a href="/openapi.json">/openapi.json</a>.</p>`;
    }
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { cacheControl: false });
  });
}

const textTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** The build writes `.br` and `.gz` next to text assets (console/build-plugins.ts): send the one the browser takes. */
function precompressed(root: string, file: string, acceptEncoding: string | undefined) {
  const type = textTypes[path.extname(file)];
  if (!type || !acceptEncoding) return undefined;
  const accepted = new Set(
    acceptEncoding
      .split(',')
      .filter((e) => !/;\s*q=0(\.0*)?\s*$/.test(e))
      .map((e) => e.split(';')[0]!.trim().toLowerCase()),
  );
  for (const [encoding, suffix] of [['br', '.br'], ['gzip', '.gz']] as const) {
    if (accepted.has(encoding) && fs.existsSync(path.join(root, file + suffix))) return { encoding, file: file + suffix, type };
  }
  return undefined;
}
