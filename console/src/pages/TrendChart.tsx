import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../format';
import type { TrendPoint } from './Overview';

// Modular ECharts: only the pieces the console draws end up in the chart chunk.
echarts.use([LineChart, BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export default function TrendChart({ points }: { points: TrendPoint[] }) {
  const { t, i18n } = useTranslation();
  const format = useFormat();
  const element = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!element.current) return;
    const chart = echarts.init(element.current, undefined, { locale: i18n.language === 'zh-CN' ? 'ZH' : 'EN' });
    chart.setOption({
      tooltip: { trigger: 'axis' },
      legend: { data: [t('overview.orders'), t('overview.gmv')] },
      grid: { left: 60, right: 80, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: points.map((p) => format.date(p.date)) },
      yAxis: [
        { type: 'value', name: t('overview.orders'), axisLabel: { formatter: (v: number) => format.number(v) } },
        { type: 'value', name: t('overview.gmv'), axisLabel: { formatter: (v: number) => format.money(v) } },
      ],
      series: [
        { name: t('overview.orders'), type: 'bar', data: points.map((p) => p.orders ?? 0) },
        { name: t('overview.gmv'), type: 'line', yAxisIndex: 1, smooth: true, data: points.map((p) => p.gmv ?? 0), tooltip: { valueFormatter: (v: number) => format.money(v) } },
      ],
    });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [points, t, i18n.language, format]);

  return <div ref={element} style={{ height: 320 }} role="img" aria-label={t('overview.trend')} />;
}
