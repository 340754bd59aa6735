import { Card, Col, Row, Segmented, Space, Statistic, Table, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api';
import { Loaded } from '../../components/States';
import { useFormat } from '../../format';
import { Chart } from '../charts';
import { useLoyaltyRefs } from './common';

interface Liability {
  outstandingPoints: number;
  pendingPoints: number;
  debtPoints: number;
  holders: number;
  pointValue: number;
  outstandingValue: number;
  pendingValue: number;
  expiringWithinNoticePeriod: number;
}
interface FlowRow {
  period: string;
  earn: number;
  redeem: number;
  expire: number;
  adjust: number;
  reverse: number;
}
interface FunnelRow {
  templateId: string;
  name: string;
  issued: number;
  redeemed: number;
  expired: number;
  voided: number;
  redemptionRate: number;
  gmv: number;
  discount: number;
}
interface TierReport {
  distribution: { tierId: string | null; members: number }[];
  movement: { fromTier: string | null; toTier: string | null; reason: string; moves: number }[];
}

const RANGES = { '30': 30, '90': 90, '365': 365 } as const;
type Range = keyof typeof RANGES;

/** Every period key (UTC day or month) between from and to, so quiet days show as zero. */
export function periodKeys(from: Date, to: Date, granularity: 'day' | 'month'): string[] {
  const keys: string[] = [];
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), granularity === 'day' ? from.getUTCDate() : 1));
  while (d < to) {
    keys.push(granularity === 'day' ? d.toISOString().slice(0, 10) : d.toISOString().slice(0, 7));
    if (granularity === 'day') d.setUTCDate(d.getUTCDate() + 1);
    else d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return keys;
}

/** Loyalty reports: points liability, points flow over time, coupon funnel per template, members by tier. */
export function ReportsTab() {
  const { t } = useTranslation();
  const [range, setRange] = useState<Range>('30');
  const period = useMemo(() => {
    const to = new Date(Date.now() + 60_000);
    const from = new Date(to.getTime() - RANGES[range] * 86_400_000);
    return { from, to, granularity: range === '365' ? ('month' as const) : ('day' as const) };
  }, [range]);
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="loyalty-reports">
      <Segmented<Range>
        value={range}
        onChange={setRange}
        options={(Object.keys(RANGES) as Range[]).map((r) => ({ value: r, label: t('loyalty.reports.lastDays', { days: RANGES[r] }) }))}
      />
      <LiabilityCard />
      <PointsFlowCard period={period} />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={14}><CouponFunnelCard /></Col>
        <Col xs={24} xl={10}><TiersCard period={period} /></Col>
      </Row>
    </Space>
  );
}

function LiabilityCard() {
  const { t } = useTranslation();
  const format = useFormat();
  const state = useApi<Liability>('/api/v1/loyalty/reports/points-liability');
  return (
    <Card title={t('loyalty.reports.liability')}>
      <Loaded state={state} feature={t('loyalty.tabs.reports')}>
        {(l) => (
          <Space size={48} wrap>
            <Statistic title={t('loyalty.reports.outstanding')} value={format.number(l.outstandingPoints)} />
            <Statistic title={t('loyalty.reports.outstandingValue')} value={format.money(l.outstandingValue)} data-testid="liability-value" />
            <Statistic title={t('loyalty.points.pending')} value={format.number(l.pendingPoints)} />
            <Statistic title={t('loyalty.points.debt')} value={format.number(l.debtPoints)} />
            <Statistic title={t('loyalty.reports.holders')} value={format.number(l.holders)} />
            <Statistic title={t('loyalty.reports.expiring')} value={format.number(l.expiringWithinNoticePeriod)} />
            <Typography.Text type="secondary">{t('loyalty.reports.pointValue', { value: format.money(l.pointValue) })}</Typography.Text>
          </Space>
        )}
      </Loaded>
    </Card>
  );
}

function PointsFlowCard({ period }: { period: { from: Date; to: Date; granularity: 'day' | 'month' } }) {
  const { t } = useTranslation();
  const format = useFormat();
  const query = useMemo(() => ({ from: period.from.toISOString(), to: period.to.toISOString(), granularity: period.granularity }), [period]);
  const state = useApi<{ data: FlowRow[] }>('/api/v1/loyalty/reports/points-flow', query);
  const option = useMemo(() => {
    if (!state.data) return null;
    const byPeriod = new Map(state.data.data.map((r) => [r.period, r]));
    const keys = periodKeys(period.from, period.to, period.granularity);
    // Manual adjustments are signed (a correction can take points): drawn as a line of their own.
    const series = (['earn', 'redeem', 'expire', 'adjust'] as const).map((kind) => ({
      name: t(`loyalty.reports.flow_${kind}`),
      type: kind === 'adjust' ? 'line' : 'bar',
      showSymbol: false,
      stack: kind === 'earn' ? 'in' : kind === 'adjust' ? undefined : 'out',
      data: keys.map((k) => byPeriod.get(k)?.[kind] ?? 0),
    }));
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => format.number(v) },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: keys },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => format.number(v) } },
      color: ['#52c41a', '#1677ff', '#bfbfbf', '#722ed1'],
      series,
    };
  }, [state.data, period, t, format]);
  const totals = (state.data?.data ?? []).reduce(
    (s, r) => ({ earn: s.earn + r.earn, redeem: s.redeem + r.redeem, expire: s.expire + r.expire, adjust: s.adjust + r.adjust }),
    { earn: 0, redeem: 0, expire: 0, adjust: 0 },
  );
  return (
    <Card title={t('loyalty.reports.flow')} extra={<Typography.Text type="secondary" data-testid="flow-totals">{t('loyalty.reports.flowTotals', { earn: format.number(totals.earn), redeem: format.number(totals.redeem), expire: format.number(totals.expire), adjust: format.number(totals.adjust) })}</Typography.Text>}>
      <Loaded state={state} feature={t('loyalty.tabs.reports')}>{() => option && <Chart option={option} label={t('loyalty.reports.flow')} />}</Loaded>
    </Card>
  );
}

function CouponFunnelCard() {
  const { t } = useTranslation();
  const format = useFormat();
  const state = useApi<{ data: FunnelRow[] }>('/api/v1/loyalty/reports/coupon-funnel');
  const option = useMemo(() => {
    const rows = state.data?.data ?? [];
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => format.number(v) },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 60 },
      xAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { interval: 0, rotate: rows.length > 4 ? 30 : 0 } },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => format.number(v) } },
      series: (['issued', 'redeemed', 'expired'] as const).map((k) => ({ name: t(`loyalty.reports.funnel_${k}`), type: 'bar', data: rows.map((r) => r[k]) })),
    };
  }, [state.data, t, format]);
  return (
    <Card title={t('loyalty.reports.funnel')} extra={<Typography.Text type="secondary">{t('loyalty.reports.allTime')}</Typography.Text>}>
      <Loaded state={state} feature={t('loyalty.tabs.reports')}>
        {(body) => (
          <>
            {body.data.length > 0 && <Chart option={option} label={t('loyalty.reports.funnel')} height={280} />}
            <Table<FunnelRow>
              size="small"
              rowKey="templateId"
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              dataSource={body.data}
              data-testid="coupon-funnel"
              columns={[
                { title: t('loyalty.coupon.template'), dataIndex: 'name' },
                { title: t('loyalty.reports.funnel_issued'), dataIndex: 'issued', align: 'right', render: (n: number) => format.number(n) },
                { title: t('loyalty.reports.funnel_redeemed'), dataIndex: 'redeemed', align: 'right', render: (n: number) => format.number(n) },
                { title: t('loyalty.reports.funnel_expired'), dataIndex: 'expired', align: 'right', render: (n: number) => format.number(n) },
                { title: t('loyalty.reports.rate'), dataIndex: 'redemptionRate', align: 'right', render: (n: number) => format.percent(n) },
                { title: t('loyalty.reports.gmv'), dataIndex: 'gmv', align: 'right', render: (n: number) => format.money(n) },
                { title: t('loyalty.reports.discount'), dataIndex: 'discount', align: 'right', render: (n: number) => format.money(n) },
              ]}
            />
          </>
        )}
      </Loaded>
    </Card>
  );
}

function TiersCard({ period }: { period: { from: Date; to: Date } }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { tierName } = useLoyaltyRefs();
  const query = useMemo(() => ({ from: period.from.toISOString(), to: period.to.toISOString() }), [period]);
  const state = useApi<TierReport>('/api/v1/loyalty/reports/tiers', query);
  const name = (id: string | null) => (id ? tierName(id) : t('loyalty.reports.noTier'));
  const option = useMemo(() => ({
    tooltip: { trigger: 'item', valueFormatter: (v: number) => format.number(v) },
    legend: { type: 'scroll', orient: 'vertical', right: 0, top: 'middle' },
    series: [{ type: 'pie', radius: ['40%', '70%'], center: ['40%', '50%'], data: (state.data?.distribution ?? []).map((d) => ({ name: name(d.tierId), value: d.members })) }],
  }), [state.data, format, tierName, t]);
  return (
    <Card title={t('loyalty.reports.tiers')}>
      <Loaded state={state} feature={t('loyalty.tabs.reports')}>
        {(r) => (
          <>
            {r.distribution.length > 0 ? <Chart option={option} label={t('loyalty.reports.tiers')} height={240} /> : <Typography.Text type="secondary">{t('loyalty.reports.noMembers')}</Typography.Text>}
            <Typography.Title level={5}>{t('loyalty.reports.movement')}</Typography.Title>
            <Table
              size="small"
              rowKey={(m) => `${m.fromTier}:${m.toTier}:${m.reason}`}
              pagination={false}
              dataSource={r.movement}
              locale={{ emptyText: t('loyalty.reports.noMoves') }}
              columns={[
                { title: t('loyalty.member.move'), render: (_, m) => `${name(m.fromTier)} → ${name(m.toTier)}` },
                { title: t('loyalty.ledger.reason'), dataIndex: 'reason', render: (v: string) => t(`loyalty.tierReasons.${v}`, { defaultValue: v }) },
                { title: t('loyalty.reports.moves'), dataIndex: 'moves', align: 'right', render: (n: number) => format.number(n) },
              ]}
            />
          </>
        )}
      </Loaded>
    </Card>
  );
}
