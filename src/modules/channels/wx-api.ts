import type { Db } from '../../platform/db/database.js';
import { getAccessToken, type TokenSource } from './access-token.js';
import type { FailureKind } from './adapter.js';

/** What WeChat and WeCom answer: `errcode` 0 (or absent) is success. */
export interface WxAnswer {
  errcode?: number;
  errmsg?: string;
  [key: string]: unknown;
}

/** Token errors: invalid (40001), invalid format (40014), expired (42001). The token is refreshed and the call retried once. */
const TOKEN_ERRORS = new Set([40001, 40014, 42001]);

export class WxApiError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`${errcode} ${errmsg}`);
  }
}

/** A JSON API client for api.weixin.qq.com / qyapi.weixin.qq.com (base URL configurable for tests and proxies). */
export class WxApiClient {
  constructor(
    private readonly db: Db,
    private readonly baseUrl: string,
    private readonly tokens: TokenSource,
  ) {}

  /** Calls `path` with `?access_token=`; on a token error refreshes the token (once, shared) and retries once. */
  async call(path: string, body?: unknown): Promise<WxAnswer> {
    let token = await getAccessToken(this.db, this.tokens);
    let answer = await this.request(path, token, body);
    if (answer.errcode && TOKEN_ERRORS.has(answer.errcode)) {
      token = await getAccessToken(this.db, this.tokens, { forceRefresh: true, rejectToken: token });
      answer = await this.request(path, token, body);
    }
    return answer;
  }

  private async request(path: string, token: string, body?: unknown): Promise<WxAnswer> {
    const url = new URL(path, this.baseUrl);
    url.searchParams.set('access_token', token);
    const res = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) return { errcode: res.status >= 500 ? -1 : res.status, errmsg: `HTTP ${res.status}` };
    return answerOf(res);
  }
}

/** GETs a token endpoint and turns errcode answers into a thrown WxApiError. */
export async function fetchWxToken(url: URL): Promise<{ accessToken: string; expiresInSeconds: number }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const answer = await answerOf(res);
  if (answer.errcode || typeof answer.access_token !== 'string') throw new WxApiError(answer.errcode ?? -1, answer.errmsg ?? 'no access_token');
  return { accessToken: answer.access_token, expiresInSeconds: Number(answer.expires_in ?? 7200) };
}

/** The answer's JSON object; anything else (not JSON, or a bare `null` from a proxy) reads as "system busy" (-1). */
async function answerOf(res: Response): Promise<WxAnswer> {
  const answer: unknown = await res.json().catch(() => null);
  if (answer !== null && typeof answer === 'object' && !Array.isArray(answer)) return answer as WxAnswer;
  return { errcode: -1, errmsg: `HTTP ${res.status}: the answer was not a JSON object` };
}

/** errcodes by what a sender should do (others: permanent). -1 is "system busy". */
const retryable = new Set([-1, 45009, 45011, 45033, 45047, 40001, 42001, 40014]);
const invalidRecipient = new Set([40003, 43004, 43019, 40096, 84061, 41051, 48002, 43101]);

export function classifyWxErrcode(errcode: number): FailureKind {
  if (invalidRecipient.has(errcode)) return 'invalid_recipient';
  if (retryable.has(errcode)) return 'retryable';
  return 'permanent';
}
