import type { ReactNode } from 'react';

// The first screen's headings and muted text in antd Typography's look (h3: 24/32 px, 600), without antd's
// Typography (its editable/copyable parts bring Input, TextArea and Tooltip into the first chunk, and it builds
// its styles at run time). Other pages keep Typography.

export function PageTitle({ children }: { children: ReactNode }) {
  return <h3 style={{ fontSize: 24, lineHeight: '32px', fontWeight: 600, margin: '24px 0 12px', color: 'rgba(0, 0, 0, 0.88)' }}>{children}</h3>;
}

export function MutedText({ children }: { children: ReactNode }) {
  return <span style={{ color: 'rgba(0, 0, 0, 0.45)' }}>{children}</span>;
}
