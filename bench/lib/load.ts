/**
 * A small closed-loop HTTP load generator: N requests in flight over keep-alive connections to 127.0.0.1, bounded
 * by a request count and a time limit. Bodies are built before the clock starts, so the generator costs little CPU.
 */
import http from 'node:http';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** A Buffer is sent as is (no encoding per request); give its content-length in headers to skip measuring it. */
  body?: string | Buffer;
}

export interface LoadResult {
  completed: number;
  failed: number;
  firstError?: string;
  ms: number;
  /** Latency of each completed request, in ms. */
  latencies: number[];
}

export async function runLoad(opts: {
  baseUrl: string;
  requests: LoadRequest[];
  concurrency: number;
  maxMs: number;
  /** Called about once a second with the number of completed requests. */
  onProgress?: (completed: number, elapsedMs: number) => void;
}): Promise<LoadResult> {
  const url = new URL(opts.baseUrl);
  if (url.hostname !== '127.0.0.1') throw new Error('the load generator only talks to 127.0.0.1');
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + opts.maxMs;
  const ticker = setInterval(() => opts.onProgress?.(latencies.length, performance.now() - started), 1000);

  const send = (req: LoadRequest) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = http.request(
        { host: url.hostname, port: url.port, method: req.method, path: req.path, agent, headers: req.body && !req.headers['content-length'] ? { ...req.headers, 'content-length': Buffer.byteLength(req.body) } : req.headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      r.on('error', reject);
      r.end(req.body);
    });

  const worker = async () => {
    while (next < opts.requests.length && performance.now() < deadline) {
      const req = opts.requests[next++]!;
      const t0 = performance.now();
      try {
        const res = await send(req);
        if (res.status >= 200 && res.status < 300) latencies.push(performance.now() - t0);
        else {
          failed++;
          firstError ??= `${res.status} ${res.body.slice(0, 300)}`;
        }
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  clearInterval(ticker);
  agent.destroy();
  return { completed: latencies.length, failed, firstError, ms: performance.now() - started, latencies };
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const basicAuth = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
