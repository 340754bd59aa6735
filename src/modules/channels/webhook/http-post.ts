import http from 'node:http';
import https from 'node:https';

/**
 * Keep-alive agents shared by every webhook call of the process. `fetch` (undici behind WHATWG streams, an
 * AbortSignal and a Request/Response per call) cost ~3× the CPU of `node:http` per POST in the journeys fan-out
 * profile; sockets to a receiver are reused, and up to MAX_SOCKETS calls to one host run at once.
 */
const MAX_SOCKETS = 256;
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS, scheduling: 'lifo' }),
};

export interface HttpAnswer {
  status: number;
  statusText: string;
  text: string;
}

/** Raised when the whole call (connect, send, answer) took longer than `timeoutMs`: `name` as fetch's timeout. */
class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** POSTs `body` and reads the whole answer, within `timeoutMs` overall; network errors reject with their `code`. */
export function postText(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpAnswer> {
  const target = new URL(url);
  const agent = agents[target.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(Object.assign(new Error(`unsupported protocol ${target.protocol}`), { code: 'bad_url' }));
  const send = target.protocol === 'https:' ? https.request : http.request;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = send(target, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => req.destroy(new TimeoutError(`no answer from ${target.host} within ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error) {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(body);
  });
}
