import { useEffect, useState } from 'react';

type Charts = typeof import('./charts');

let loaded: Charts | undefined;
let loading: Promise<Charts> | undefined;

/**
 * ECharts is large: its chunk loads only for a screen that draws charts. The overview asks for it as soon as the app
 * knows it will show the overview (App.tsx), so the chunk downloads and compiles while the layout renders and the
 * data comes, instead of after the data has rendered. Every import of the chunk goes through here (one request).
 */
export const loadCharts = (): Promise<Charts> => {
  loading ??= import('./charts').then(
    (m) => (loaded = m),
    (err: unknown) => {
      loading = undefined; // a later screen tries again
      throw err;
    },
  );
  return loading;
};

/**
 * The charts module, or undefined while it loads (show a placeholder). Not React.lazy + Suspense: React reveals a
 * boundary that resolved no sooner than 300 ms after the last fallback it showed, and a lazy component suspends on
 * its first render even when the chunk is already here, so each chart card of the first load waited ~0.3 s idle.
 */
export function useCharts(): Charts | undefined {
  const [charts, setCharts] = useState(loaded);
  useEffect(() => {
    if (charts) return;
    let live = true;
    loadCharts().then((m) => live && setCharts(m), () => undefined);
    return () => {
      live = false;
    };
  }, [charts]);
  return charts;
}
