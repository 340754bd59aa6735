import Col from 'antd/es/col';
import Skeleton from 'antd/es/skeleton';
import Statistic from 'antd/es/statistic';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Panel } from '../components/Panel';
import { useFormat } from '../format';
import type { TrendPoint } from './charts';
import { useCharts } from './loadCharts';

type Series = { day: string; value: number }[];
/** `GET /api/v1/stats/overview` (src/modules/analytics). */
export interface OverviewStats {
  days: number;
  profiles: number;
  members: number;
  activeProfiles30d: number;
  reachable?: { wechat: number; wecom: number };
  newMembers?: Series;
  orders?: Series;
  gmv?: Series;
}

const sum = (s?: Series) => (s ?? []).reduce((total, p) => total + p.value, 0);

/** The headline numbers, the orders/GMV trend and new members per day. Rendered inside the overview's Row. */
export function OverviewStatsSection({ data }: { data: OverviewStats }) {
  const { t } = useTranslation();
  const format = useFormat();
  const charts = useCharts();
  const cards: { key: string; title: string; value: number; money?: boolean }[] = [
    { key: 'profiles', title: t('overview.profiles'), value: data.profiles },
    { key: 'members', title: t('overview.members'), value: data.members },
    { key: 'active', title: t('overview.activeProfiles30d'), value: data.activeProfiles30d },
    ...(data.reachable ? [{ key: 'wechat', title: t('overview.wechat'), value: data.reachable.wechat }, { key: 'wecom', title: t('overview.wecom'), value: data.reachable.wecom }] : []),
    { key: 'orders', title: t('overview.totalOrders', { days: data.days }), value: sum(data.orders) },
    { key: 'gmv', title: t('overview.totalGmv', { days: data.days }), value: sum(data.gmv), money: true },
  ].filter((c) => typeof c.value === 'number' && !Number.isNaN(c.value));
  const trend = useMemo<TrendPoint[]>(() => {
    const gmvByDay = new Map((data.gmv ?? []).map((p) => [p.day, p.value]));
    return (data.orders ?? []).map((p) => ({ date: p.day, orders: p.value, gmv: gmvByDay.get(p.day) ?? 0 }));
  }, [data]);
  return (
    <>
      {/* On wide screens the headline cards share one row equally (7 cards in 3/24 columns left a gap and cut ¥
          amounts); a 12 % basis keeps the charts after them on the next line. */}
      {cards.map((c) => (
        <Col key={c.key} xs={12} md={8} xl={{ flex: '1 1 12%' }} style={{ minWidth: 0 }}>
          <Panel size="small">
            <Statistic title={c.title} value={c.value} valueStyle={{ fontSize: 22 }}
              formatter={(v) => (c.money ? format.moneyWhole(Number(v)) : format.number(Number(v)))} />
          </Panel>
        </Col>
      ))}
      {trend.length > 0 && (
        <Col xs={24} xl={14}>
          <Panel title={t('overview.trend')}>
            {charts ? <charts.TrendChart points={trend} /> : <Skeleton active />}
          </Panel>
        </Col>
      )}
      {(data.newMembers ?? []).length > 0 && (
        <Col xs={24} xl={10}>
          <Panel title={t('overview.newMembers')}>
            {charts ? <charts.DailyLine points={data.newMembers!} label={t('overview.newMembers')} /> : <Skeleton active />}
          </Panel>
        </Col>
      )}
    </>
  );
}
