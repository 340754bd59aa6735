import { createContext, lazy, Suspense, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

type Kind = 'success' | 'error' | 'warning' | 'info';
type Show = (kind: Kind, content: ReactNode) => void;
export type MessageApi = Record<Kind, (content: ReactNode) => void>;

// antd's message code (rc-notification, its styles) loads with the first message, not with the first screen: no
// page shows one before the operator has done something. antd's <App> would also bring Modal and notification.
const MessageHost = lazy(() => import('./MessageHost'));

const FeedbackContext = createContext<{ message: MessageApi } | null>(null);

/** Gives pages `useFeedback().message` (success/error/warning/info toasts in antd's look). */
export function FeedbackProvider({ children }: { children: ReactNode }) {
  const queue = useRef<[Kind, ReactNode][]>([]);
  const show = useRef<Show | null>(null);
  const [wanted, setWanted] = useState(false);
  const enqueue = useCallback<Show>((kind, content) => {
    if (show.current) return show.current(kind, content);
    queue.current.push([kind, content]);
    setWanted(true);
  }, []);
  const onReady = useCallback((next: Show) => {
    show.current = next;
    for (const [kind, content] of queue.current.splice(0)) next(kind, content);
  }, []);
  const value = useMemo(() => {
    const message = {} as MessageApi;
    for (const kind of ['success', 'error', 'warning', 'info'] as const) message[kind] = (content) => enqueue(kind, content);
    return { message };
  }, [enqueue]);
  return (
    <FeedbackContext.Provider value={value}>
      {children}
      {wanted && <Suspense fallback={null}><MessageHost onReady={onReady} /></Suspense>}
    </FeedbackContext.Provider>
  );
}

export function useFeedback(): { message: MessageApi } {
  const feedback = useContext(FeedbackContext);
  if (!feedback) throw new Error('useFeedback outside FeedbackProvider');
  return feedback;
}
