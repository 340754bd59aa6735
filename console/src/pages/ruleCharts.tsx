import { HeatmapChart } from 'echarts/charts';
import { VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../format';
import { Chart } from './charts';

// Loaded with the charts chunk, only on the pages that draw these.
echarts.use([HeatmapChart, VisualMapComponent]);

export interface OverlapCell {
  a: number;
  b: number;
  intersection: number;
  union: number;
  jaccard: number;
}

/** Pairwise Jaccard of the chosen groups as a heatmap (the diagonal is each group with itself). */
export function OverlapHeatmap({ names, sizes, cells }: { names: string[]; sizes: number[]; cells: OverlapCell[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const labels = names.map((n, i) => `${n} (${format.number(sizes[i] ?? 0)})`);
  const data = [
    ...names.map((_, i) => ({ value: [i, i, 1], cell: { a: i, b: i, intersection: sizes[i] ?? 0, union: sizes[i] ?? 0, jaccard: 1 } })),
    ...cells.flatMap((c) => [
      { value: [c.a, c.b, c.jaccard], cell: c },
      { value: [c.b, c.a, c.jaccard], cell: c },
    ]),
  ];
  const option = {
    tooltip: {
      formatter: (p: { data: { cell: OverlapCell } }) => {
        const c = p.data.cell;
        return [
          `${names[c.a]} × ${names[c.b]}`,
          t('overlap.intersection', { value: format.number(c.intersection) }),
          t('overlap.union', { value: format.number(c.union) }),
          t('overlap.jaccard', { value: format.percent(c.jaccard) }),
        ].join('<br/>');
      },
    },
    grid: { left: 140, right: 30, top: 20, bottom: 110 },
    xAxis: { type: 'category', data: labels, axisLabel: { interval: 0, rotate: names.length > 4 ? 30 : 0, width: 160, overflow: 'truncate' }, splitArea: { show: true } },
    yAxis: { type: 'category', data: labels, inverse: true, axisLabel: { interval: 0, width: 130, overflow: 'truncate' }, splitArea: { show: true } },
    visualMap: { min: 0, max: 1, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, inRange: { color: ['#f0f5ff', '#1677ff', '#002c8c'] }, formatter: (v: number) => format.percent(v) },
    series: [{ type: 'heatmap', data, label: { show: true, formatter: (p: { data: { value: number[] } }) => format.percent(p.data.value[2] ?? 0) } }],
  };
  return <Chart option={option} label={t('overlap.chart')} height={Math.max(320, 60 * names.length + 150)} />;
}

/** Profiles entering (up) and leaving (down) a segment per day. */
export function SegmentTrendChart({ points }: { points: { day: string; entered: number; exited: number }[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const option = {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => format.number(Math.abs(v)) },
    legend: { data: [t('segmentsPage.entered'), t('segmentsPage.exited')], top: 0 },
    grid: { left: 60, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: points.map((p) => format.date(`${p.day}T12:00:00Z`)) },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => format.number(Math.abs(v)) } },
    series: [
      { name: t('segmentsPage.entered'), type: 'bar', stack: 'flow', itemStyle: { color: '#52c41a' }, data: points.map((p) => p.entered) },
      { name: t('segmentsPage.exited'), type: 'bar', stack: 'flow', itemStyle: { color: '#ff7875' }, data: points.map((p) => -p.exited) },
    ],
  };
  return <Chart option={option} label={t('segmentsPage.trend')} height={280} />;
}
