import useMessage from 'antd/es/message/useMessage';
import { useEffect, type ReactNode } from 'react';

type Kind = 'success' | 'error' | 'warning' | 'info';

/** antd's message holder, loaded with the first message (feedback.tsx); hands its `show` back once mounted. */
export default function MessageHost({ onReady }: { onReady: (show: (kind: Kind, content: ReactNode) => void) => void }) {
  const [api, holder] = useMessage();
  useEffect(() => onReady((kind, content) => void api[kind](content)), [api, onReady]);
  return holder;
}
