import { Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from '../router';
import { useFormat } from '../format';

/** `GET /api/v1/reports/journeys` (src/modules/journeys). */
export interface TopJourney {
  journeyId: string;
  name: string;
  status: 'draft' | 'published' | 'paused' | 'archived';
  entered: number;
  converted: number;
  conversionRate: number;
}

/** The overview's "top journeys by conversions": entered, converted (goal met) and the rate, each opening its canvas. */
export function TopJourneysTable({ rows }: { rows: TopJourney[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  if (rows.length === 0) return <Typography.Text type="secondary">{t('journeys.top.none')}</Typography.Text>;
  return (
    <Table<TopJourney>
      size="small"
      rowKey="journeyId"
      pagination={false}
      dataSource={rows}
      columns={[
        { key: 'name', title: t('journeys.top.journey'), render: (_, r) => <Link to={`/journeys/${r.journeyId}`}>{r.name}</Link> },
        { key: 'status', title: t('journeys.status'), render: (_, r) => t(`journeys.statuses.${r.status}`) },
        { key: 'entered', title: t('journeys.stats.entered'), align: 'right', render: (_, r) => format.number(r.entered) },
        { key: 'converted', title: t('journeys.stats.converted'), align: 'right', render: (_, r) => format.number(r.converted) },
        { key: 'rate', title: t('journeys.top.rate'), align: 'right', render: (_, r) => format.percent(r.conversionRate) },
      ]}
    />
  );
}
