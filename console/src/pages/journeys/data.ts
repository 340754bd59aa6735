import { useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, useApi } from '../../api';
import type { PickerOptions } from './SchemaForm';
import type { Definition, Issue, JourneySchema } from './model';

export interface Journey {
  id: string;
  name: string;
  status: 'draft' | 'published' | 'paused' | 'archived';
  latestVersion: number;
  publishedVersion: number | null;
  templateKey: string | null;
  definition: unknown;
  /** Canvas positions by node id, saved with the journey's latest version. */
  layout: Record<string, { x: number; y: number }> | null;
  createdAt: string;
  updatedAt: string;
}

export const useJourneySchema = () => useApi<JourneySchema>('/api/v1/journeys/schema');

/** The pickers' options, loaded once for the editor. */
export function usePickers(): PickerOptions {
  const channels = useApi<{ data: PickerOptions['channels'] }>('/api/v1/channels');
  const templates = useApi<{ data: PickerOptions['templates'] }>('/api/v1/templates');
  const tags = useApi<{ data: { id: string; name: string }[] }>('/api/v1/tags', { limit: 1000, sort: 'name' });
  const segments = useApi<{ data: { id: string; name: string }[] }>('/api/v1/segments');
  const coupons = useApi<{ data: { id: string; name: string }[] } | { id: string; name: string }[]>('/api/v1/loyalty/coupon-templates');
  const events = useApi<{ data: { type: string; event: string | null }[] }>('/api/v1/events/schema');
  return useMemo(() => ({
    channels: channels.data?.data ?? [],
    templates: templates.data?.data ?? [],
    tags: tags.data?.data ?? [],
    segments: segments.data?.data ?? [],
    coupons: Array.isArray(coupons.data) ? coupons.data : coupons.data?.data ?? [],
    events: (events.data?.data ?? []).filter((e) => e.type === 'track' && e.event).map((e) => e.event!),
  }), [channels.data, templates.data, tags.data, segments.data, coupons.data, events.data]);
}

/** Server validation while the canvas is edited (writers only: validation is a POST), `delay` ms after the last change. */
export function useValidation(def: Definition, enabled: boolean, delay = 600): { issues: Issue[]; checking: boolean; error?: ApiError; forDef?: string } {
  const [state, setState] = useState<{ issues: Issue[]; checking: boolean; error?: ApiError; forDef?: string }>({ issues: [], checking: false });
  const text = JSON.stringify(def);
  const latest = useRef(text);
  latest.current = text;
  useEffect(() => {
    if (!enabled || def.nodes.length === 0) {
      setState({ issues: [], checking: false, forDef: text });
      return;
    }
    setState((s) => ({ ...s, checking: true }));
    const timer = setTimeout(() => {
      api<{ valid: boolean; issues: Issue[] }>('/api/v1/journeys/validate', { method: 'POST', body: { definition: def } }).then(
        (res) => latest.current === text && setState({ issues: res.issues, checking: false, forDef: text }),
        (error: ApiError) => latest.current === text && setState({ issues: [], checking: false, error, forDef: text }),
      );
    }, delay);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text, enabled, delay]);
  return state;
}
