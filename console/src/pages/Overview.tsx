import { Card, Col, Row, Skeleton, Statistic, Typography } from 'antd';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api';
import { Loaded } from '../components/States';
import { useFormat } from '../format';

/** ECharts is large: it loads only when a chart is on screen. */
const TrendChart = lazy(() => import('./TrendChart'));

export interface TrendPoint {
  date: string;
  orders?: number;
  gmv?: number;
}
type Overview = Record<string, unknown> & { trend?: TrendPoint[]; daily?: TrendPoint[] };

const metrics = [
  { key: 'profiles', money: false },
  { key: 'members', money: false },
  { key: 'activeProfiles', money: false },
  { key: 'events', money: false },
  { key: 'orders', money: false },
  { key: 'gmv', money: true },
] as const;

export function OverviewPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const state = useApi<Overview>('/api/v1/stats/overview');
  return (
    <>
      <Typography.Title level={3}>{t('overview.title')}</Typography.Title>
      <Loaded state={state} feature={t('overview.title')}>
        {(data) => {
          const trend = data.trend ?? data.daily ?? [];
          const shown = metrics.filter((m) => typeof data[m.key] === 'number');
          return (
            <>
              <Row gutter={[16, 16]}>
                {shown.map((m) => (
                  <Col key={m.key} xs={24} sm={12} lg={8} xl={4}>
                    <Card>
                      <Statistic
                        title={t(`overview.${m.key}`)}
                        value={data[m.key] as number}
                        formatter={(v) => (m.money ? format.money(Number(v)) : format.number(Number(v)))}
                      />
                    </Card>
                  </Col>
                ))}
              </Row>
              {trend.length > 0 && (
                <Card title={t('overview.trend')} style={{ marginTop: 16 }}>
                  <Suspense fallback={<Skeleton active />}>
                    <TrendChart points={trend} />
                  </Suspense>
                </Card>
              )}
            </>
          );
        }}
      </Loaded>
    </>
  );
}
