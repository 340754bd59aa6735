import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setSecretKey } from '../../src/modules/channels/index.js';
import { setProfileEventSink, type ProfileEventMessage } from '../../src/modules/channels/profile-events.js';

/** Channel tests seal credentials with a fresh key of their own. */
setSecretKey(randomBytes(32));

export interface FakeRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FakeServer {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

export type FakeHandler = (req: FakeRequest) => { status?: number; json?: unknown; text?: string; delayMs?: number } | Promise<{ status?: number; json?: unknown; text?: string; delayMs?: number }>;

/** A real HTTP server on 127.0.0.1 playing a provider: it records every request and answers through `handler`. */
export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const request: FakeRequest = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', 'http://127.0.0.1'), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      try {
        const answer = await handler(request);
        if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
        if (res.destroyed) return;
        res.statusCode = answer.status ?? 200;
        if (answer.json !== undefined) {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(answer.json));
        } else res.end(answer.text ?? '');
      } catch (err) {
        res.statusCode = 500;
        res.end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Collects the profile events channels hand to ingest (until ingest is wired in, and beside it after). */
export function captureProfileEvents(): ProfileEventMessage[] {
  const captured: ProfileEventMessage[] = [];
  setProfileEventSink(async (_db, _workspaceId, messages) => {
    captured.push(...messages);
  });
  return captured;
}
