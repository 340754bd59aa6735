import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, ApiError, useApi } from '../../api';
import { useSession } from '../../session';
import { hasConditions, type Rule, type RuleSchema } from './model';

/** What the builder offers in its pickers: the workspace's tags, segments, events seen and identifier types. */
export interface RuleOptions {
  schema?: RuleSchema;
  schemaError?: ApiError;
  tags: { id: string; name: string; kind: string }[];
  segments: { id: string; name: string }[];
  events: { name: string; properties: string[] }[];
  identifierTypes: string[];
}

const RuleOptionsContext = createContext<RuleOptions | null>(null);

/** Loads the rule schema description and the pickers' options once for every builder below it. */
export function RuleOptionsProvider({ children }: { children: ReactNode }) {
  const schema = useApi<RuleSchema>('/api/v1/rules/schema');
  const tags = useApi<{ data: { id: string; name: string; kind: string }[] }>('/api/v1/tags', { limit: 1000, sort: 'name' });
  const segments = useApi<{ data: { id: string; name: string }[] }>('/api/v1/segments');
  const events = useApi<{ data: { type: string; event: string | null; properties: string[] }[] }>('/api/v1/events/schema');
  const identifiers = useApi<{ data: { type: string }[] }>('/api/v1/identifier-settings');
  const value = useMemo<RuleOptions>(
    () => ({
      schema: schema.data,
      schemaError: schema.error,
      tags: tags.data?.data ?? [],
      segments: segments.data?.data ?? [],
      events: (events.data?.data ?? []).filter((e) => e.type === 'track' && e.event).map((e) => ({ name: e.event!, properties: e.properties })),
      identifierTypes: (identifiers.data?.data ?? []).map((i) => i.type),
    }),
    [schema.data, schema.error, tags.data, segments.data, events.data, identifiers.data],
  );
  return <RuleOptionsContext.Provider value={value}>{children}</RuleOptionsContext.Provider>;
}

export function useRuleOptions(): RuleOptions {
  const options = useContext(RuleOptionsContext);
  if (!options) throw new Error('useRuleOptions outside RuleOptionsProvider');
  return options;
}

export interface Estimate {
  size?: number;
  loading: boolean;
  error?: ApiError;
  /** The rule the size is for (the estimate lags the editor by the debounce). */
  forRule?: string;
}

const GET_LIMIT = 6000;

/**
 * A live size estimate while a rule is edited: the estimate endpoint is called `delay` ms after the last change
 * (earlier answers are ignored). Reads by GET, open to analysts; a rule too long for a URL goes by POST.
 */
export function useEstimate(rule: Rule, delay = 500): Estimate {
  const { canWrite } = useSession();
  const [state, setState] = useState<Estimate>({ loading: false });
  const text = JSON.stringify(rule);
  const latest = useRef(text);
  latest.current = text;
  useEffect(() => {
    if (!hasConditions(rule)) {
      setState({ loading: false });
      return;
    }
    setState((s) => ({ ...s, loading: true }));
    const timer = setTimeout(() => {
      const request =
        text.length < GET_LIMIT || !canWrite
          ? api<{ size: number }>('/api/v1/rules/estimate', { query: { rule: text } })
          : api<{ size: number }>('/api/v1/rules/estimate', { method: 'POST', body: { rule } });
      request.then(
        (res) => latest.current === text && setState({ size: res.size, loading: false, forRule: text }),
        (error: ApiError) => latest.current === text && setState({ loading: false, error, forRule: text }),
      );
    }, delay);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text, delay, canWrite]);
  return state;
}

/** Server-side validation without an estimate (before saving): resolves to the error, or undefined when valid. */
export async function validateRule(rule: Rule, owner?: { kind: 'tag' | 'segment'; id: string }): Promise<ApiError | undefined> {
  try {
    await api('/api/v1/rules/validate', { method: 'POST', body: { rule, owner } });
    return undefined;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
}
