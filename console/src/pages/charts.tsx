import { BarChart, LineChart, PieChart, SankeyChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { memo, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../format';

// Modular ECharts: only the pieces the console draws end up in this lazily loaded chunk.
echarts.use([LineChart, BarChart, PieChart, SankeyChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export interface TrendPoint {
  date: string;
  orders?: number;
  gmv?: number;
}
export interface AiplReport {
  daily: { day: string; A: number; I: number; P: number; L: number }[];
  flows: { from: string; to: string; profiles: number; backflow: boolean }[];
}
export interface RfmReport {
  classes: { class8: string; label: string; profiles: number; revenue: number }[];
}

export function Chart({ option, label, height = 300 }: { option: echarts.EChartsCoreOption; label: string; height?: number }) {
  const { i18n } = useTranslation();
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const target = element.current;
    const chart = echarts.init(target, undefined, { locale: i18n.language === 'zh-CN' ? 'ZH' : 'EN' });
    // Marks the final picture (tests and bench/console-overview.ts wait for it). No entry animation: the chart is
    // complete on its first frame instead of ~1 s later, and the first load spends no frames animating.
    chart.on('finished', () => target.setAttribute('data-drawn', 'true'));
    chart.setOption({ animation: false, ...option });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [option, i18n.language]);
  return <div ref={element} style={{ height }} role="img" aria-label={label} data-chart="" />;
}

// The overview's charts are memoised: a card's chart is drawn again (Chart disposes and re-creates the instance) only
// when its own data changes, not each time another card's data arrives.
export const TrendChart = memo(function TrendChart({ points }: { points: TrendPoint[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const option = {
    tooltip: { trigger: 'axis' },
    legend: { data: [t('overview.orders'), t('overview.gmv')], top: 0 },
    grid: { left: 60, right: 100, top: 60, bottom: 30 },
    xAxis: { type: 'category', data: points.map((p) => format.date(p.date)) },
    yAxis: [
      { type: 'value', name: t('overview.orders'), axisLabel: { formatter: (v: number) => format.number(v) } },
      { type: 'value', name: t('overview.gmv'), axisLabel: { formatter: (v: number) => format.money(v) } },
    ],
    series: [
      { name: t('overview.orders'), type: 'bar', data: points.map((p) => p.orders ?? 0) },
      { name: t('overview.gmv'), type: 'line', yAxisIndex: 1, smooth: true, data: points.map((p) => p.gmv ?? 0), tooltip: { valueFormatter: (v: number) => format.money(v) } },
    ],
  };
  return <Chart option={option} label={t('overview.trend')} />;
});

export const DailyLine = memo(function DailyLine({ points, label }: { points: { day: string; value: number }[]; label: string }) {
  const format = useFormat();
  const option = {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => format.number(v) },
    grid: { left: 60, right: 20, top: 20, bottom: 30 },
    xAxis: { type: 'category', data: points.map((p) => format.date(p.day)) },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => format.number(v) } },
    series: [{ type: 'line', name: label, smooth: true, areaStyle: { opacity: 0.15 }, data: points.map((p) => p.value) }],
  };
  return <Chart option={option} label={label} height={260} />;
});

const stages = ['A', 'I', 'P', 'L'] as const;

/** Stage sizes on the last day of the period, and the flows between stages as a Sankey. */
export const AiplCharts = memo(function AiplCharts({ report }: { report: AiplReport }) {
  const { t } = useTranslation();
  const format = useFormat();
  const last = report.daily[report.daily.length - 1];
  const sizes = {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => format.number(v) },
    grid: { left: 60, right: 20, top: 20, bottom: 30 },
    xAxis: { type: 'category', data: stages.map((s) => t(`stages.${s}`)) },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => format.number(v) } },
    series: [{ type: 'bar', name: t('overview.people'), data: stages.map((s) => last?.[s] ?? 0), itemStyle: { color: '#1677ff' } }],
  };
  const forward = report.flows.filter((f) => !f.backflow && f.from !== f.to && f.profiles > 0);
  // A Sankey must be acyclic: the "before" column on the left, the "after" column on the right.
  const names = new Set(forward.flatMap((f) => [`${f.from}→`, `→${f.to}`]));
  const stageName = (node: string) => t(`stages.${node.replace('→', '')}`, { defaultValue: node.replace('→', '') });
  const flow = {
    tooltip: { trigger: 'item', valueFormatter: (v: number) => format.number(v) },
    series: [{
      type: 'sankey',
      left: 20, right: 120, top: 10, bottom: 10,
      data: [...names].map((name) => ({ name, label: { formatter: stageName(name) } })),
      links: forward.map((f) => ({ source: `${f.from}→`, target: `→${f.to}`, value: f.profiles })),
      lineStyle: { color: 'gradient', opacity: 0.4 },
    }],
  };
  return (
    <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(320px, 1fr))', gap: 16 }}>
      <Chart option={sizes} label={t('overview.aipl')} />
      {forward.length > 0 && <Chart option={flow} label={t('overview.aiplFlow')} />}
    </div>
  );
});

export const RfmChart = memo(function RfmChart({ report }: { report: RfmReport }) {
  const { t } = useTranslation();
  const format = useFormat();
  const option = {
    tooltip: { trigger: 'item', valueFormatter: (v: number) => format.number(v) },
    legend: { type: 'scroll', orient: 'vertical', right: 0, top: 'middle' },
    series: [{
      type: 'pie', radius: ['40%', '70%'], center: ['35%', '50%'],
      data: report.classes.filter((c) => c.profiles > 0).map((c) => ({ name: c.label, value: c.profiles })),
    }],
  };
  return <Chart option={option} label={t('overview.rfm')} />;
});
