import { useCallback, useEffect, useRef, useState } from 'react';

/** An error answer of the Siyu API: `{ error: { code, message, details } }`, or no answer at all (network). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { path?: string; message: string }[] = [],
    /** The answer's whole `error` object: some codes carry more (e.g. `workspaces` with `workspace_choice_required`). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
  /** The server has no such route: the feature is not on this server yet (as opposed to a missing record). */
  get missingRoute(): boolean {
    return this.status === 404 && this.message.startsWith('no route');
  }
}

const unauthorizedListeners = new Set<() => void>();
/** The session ended (expired, signed out elsewhere): the app shows the sign-in page. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | undefined | null>;
}

function urlOf(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  return params.size ? `${path}?${params}` : path;
}

declare global {
  interface Window {
    /** GETs index.html starts before the app's code loads (the session, the first screen's data). */
    __siyuPrefetch?: Record<string, Promise<Response> | undefined>;
  }
}

/** A GET that index.html already started is taken once; everything else goes to the network now. */
function send(url: string, options: RequestOptions): Promise<Response> {
  const early = (options.method ?? 'GET') === 'GET' ? window.__siyuPrefetch?.[url] : undefined;
  if (early) {
    delete window.__siyuPrefetch![url];
    return early;
  }
  return fetch(url, {
    method: options.method ?? 'GET',
    credentials: 'same-origin',
    headers: options.body !== undefined ? { 'content-type': 'application/json' } : {},
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
}

/** Answers fetched before a sign-in belong to nobody: drop them. */
export function forgetPrefetched(): void {
  window.__siyuPrefetch = {};
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  let res: Response;
  try {
    res = await send(urlOf(path, options.query), options);
  } catch (err) {
    throw new ApiError(0, 'network', (err as Error).message);
  }
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string; details?: { path?: string; message: string }[] } };
  if (!res.ok) {
    const error = new ApiError(res.status, json.error?.code ?? 'unknown', json.error?.message ?? res.statusText, json.error?.details, json.error);
    if (res.status === 401 && !path.startsWith('/api/v1/session')) unauthorizedListeners.forEach((l) => l());
    throw error;
  }
  return json as T;
}

export interface ApiState<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload: () => void;
}

/** Loads `path` (null: nothing yet) and reloads when it changes; keeps the last data while reloading. */
export function useApi<T>(path: string | null, query?: RequestOptions['query']): ApiState<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: path !== null });
  const [version, setVersion] = useState(0);
  const key = path === null ? null : `${path}?${JSON.stringify(query ?? {})}`;
  const latest = useRef(key);
  latest.current = key;
  useEffect(() => {
    if (path === null) return;
    setState((s) => ({ ...s, loading: true }));
    api<T>(path, { query }).then(
      (data) => latest.current === key && setState({ data, loading: false }),
      (error: ApiError) => latest.current === key && setState({ error, loading: false }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { ...state, reload };
}
