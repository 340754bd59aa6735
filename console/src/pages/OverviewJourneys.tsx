import type { CSSProperties } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from '../router';
import { useFormat } from '../format';
import { MutedText } from '../components/Heading';

/** `GET /api/v1/reports/journeys` (src/modules/journeys). */
export interface TopJourney {
  journeyId: string;
  name: string;
  status: 'draft' | 'published' | 'paused' | 'archived';
  entered: number;
  converted: number;
  conversionRate: number;
}

// Five rows, no paging, sorting or selection: a plain table in antd's small-table look. antd's Table would bring
// rc-table, pagination, tree, checkbox, radio and dropdown into the first screen's JavaScript (~0.3 MB minified).
const cell: CSSProperties = { padding: '8px', borderBottom: '1px solid #f0f0f0', textAlign: 'left' };
const head: CSSProperties = { ...cell, background: '#fafafa', fontWeight: 600, color: 'rgba(0,0,0,0.88)' };
const right = (style: CSSProperties): CSSProperties => ({ ...style, textAlign: 'right', whiteSpace: 'nowrap' });

/** The overview's "top journeys by conversions": entered, converted (goal met) and the rate, each opening its canvas. */
export function TopJourneysTable({ rows }: { rows: TopJourney[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  if (rows.length === 0) return <MutedText>{t('journeys.top.none')}</MutedText>;
  return (
    <table style={{ width: '100%', borderCollapse: 'collapse', fontSize: 14 }}>
      <thead>
        <tr>
          <th scope="col" style={head}>{t('journeys.top.journey')}</th>
          <th scope="col" style={head}>{t('journeys.status')}</th>
          <th scope="col" style={right(head)}>{t('journeys.stats.entered')}</th>
          <th scope="col" style={right(head)}>{t('journeys.stats.converted')}</th>
          <th scope="col" style={right(head)}>{t('journeys.top.rate')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.journeyId}>
            <td style={cell}><Link to={`/journeys/${r.journeyId}`}>{r.name}</Link></td>
            <td style={cell}>{t(`journeys.statuses.${r.status}`)}</td>
            <td style={right(cell)}>{format.number(r.entered)}</td>
            <td style={right(cell)}>{format.number(r.converted)}</td>
            <td style={right(cell)}>{format.percent(r.conversionRate)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
