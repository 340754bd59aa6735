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

interface Target {
  host: string;
  options: http.RequestOptions;
  send: typeof http.request;
}

/**
 * Request options by URL, worked out once: every call of a fan-out goes to the same few receivers, and parsing the
 * URL and turning it into options was a fixed cost per POST. Bounded: cleared when it reaches TARGETS_MAX URLs.
 */
const TARGETS_MAX = 1_000;
const targets = new Map<string, Target>();
function targetOf(url: string): Target | Error {
  let t = targets.get(url);
  if (t) return t;
  const u = new URL(url);
  const agent = agents[u.protocol as keyof typeof agents];
  if (!agent) return Object.assign(new Error(`unsupported protocol ${u.protocol}`), { code: 'bad_url' });
  const options: http.RequestOptions = {
    protocol: u.protocol, hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname, port: u.port || undefined,
    path: `${u.pathname}${u.search}`, method: 'POST', agent,
    ...(u.username || u.password ? { auth: `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` } : {}),
  };
  t = { host: u.host, options, send: u.protocol === 'https:' ? https.request : http.request };
  if (targets.size >= TARGETS_MAX) targets.clear();
  targets.set(url, t);
  return t;
}

/** POSTs `body` and reads the whole answer, within `timeoutMs` overall; network errors reject with their `code`. */
export function postText(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpAnswer> {
  let target: Target | Error;
  try {
    target = targetOf(url);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  if (target instanceof Error) return Promise.reject(target);
  const { send, options, host } = target;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = send({ ...options, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => req.destroy(new TimeoutError(`no answer from ${host} within ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error) {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(body);
  });
}
