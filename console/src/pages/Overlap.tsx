import { Button, Card, Empty, Select, Skeleton, Space, Table, Typography } from 'antd';
import { lazy, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api';
import { Loaded } from '../components/States';
import { useFormat } from '../format';

const OverlapHeatmap = lazy(() => import('./ruleCharts').then((m) => ({ default: m.OverlapHeatmap })));

interface Ref {
  kind: 'tag' | 'segment';
  id: string;
}
interface Report {
  sizes: (Ref & { size: number })[];
  pairs: { a: Ref; b: Ref; intersection: number; union: number; jaccard: number }[];
}

const keyOf = (r: Ref) => `${r.kind}:${r.id}`;

/**
 * The overlap matrix: pick tags and segments, see their sizes and pairwise Jaccard as a heatmap, so groups can be
 * kept complete and independent (low overlap).
 */
export function OverlapPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const tags = useApi<{ data: { id: string; name: string }[] }>('/api/v1/tags', { limit: 1000, sort: 'name' });
  const segments = useApi<{ data: { id: string; name: string }[] }>('/api/v1/segments', { limit: 1000, sort: 'name' });
  const [chosen, setChosen] = useState<string[]>([]);
  const [asked, setAsked] = useState<string[]>([]);
  const report = useApi<Report>(asked.length >= 2 ? '/api/v1/overlap' : null, { refs: asked.join(',') });
  const names = new Map<string, string>([
    ...(tags.data?.data ?? []).map((x) => [`tag:${x.id}`, x.name] as [string, string]),
    ...(segments.data?.data ?? []).map((x) => [`segment:${x.id}`, x.name] as [string, string]),
  ]);
  const label = (key: string) => names.get(key) ?? key;

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card>
        <Typography.Paragraph type="secondary">{t('overlap.hint')}</Typography.Paragraph>
        <Space wrap align="start">
          <Select
            aria-label={t('overlap.choose')}
            data-testid="overlap-choose"
            mode="multiple"
            showSearch
            optionFilterProp="label"
            placeholder={t('overlap.choose')}
            value={chosen}
            onChange={(v: string[]) => setChosen(v.slice(0, 20))}
            style={{ minWidth: 420, maxWidth: 720 }}
            options={[
              { label: t('overlap.tags'), options: (tags.data?.data ?? []).map((x) => ({ value: `tag:${x.id}`, label: x.name })) },
              { label: t('overlap.segments'), options: (segments.data?.data ?? []).map((x) => ({ value: `segment:${x.id}`, label: x.name })) },
            ]}
          />
          <Button type="primary" disabled={chosen.length < 2} onClick={() => setAsked(chosen)} data-testid="overlap-compute">{t('overlap.compute')}</Button>
        </Space>
        {chosen.length < 2 && <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>{t('overlap.chooseTwo')}</Typography.Paragraph>}
      </Card>
      {asked.length >= 2 ? (
        <Card title={t('overlap.chart')} data-testid="overlap-result">
          <Loaded state={report} feature={t('overlap.title')}>
            {(r) => {
              const order = r.sizes.map(keyOf);
              const index = new Map(order.map((k, i) => [k, i]));
              return (
                <>
                  <Suspense fallback={<Skeleton active />}>
                    <OverlapHeatmap
                      names={order.map(label)}
                      sizes={r.sizes.map((s) => s.size)}
                      cells={r.pairs.map((p) => ({ a: index.get(keyOf(p.a)) ?? 0, b: index.get(keyOf(p.b)) ?? 0, intersection: p.intersection, union: p.union, jaccard: p.jaccard }))}
                    />
                  </Suspense>
                  <Table
                    size="small"
                    rowKey={(p) => `${keyOf(p.a)}|${keyOf(p.b)}`}
                    pagination={{ pageSize: 10, hideOnSinglePage: true }}
                    dataSource={[...r.pairs].sort((x, y) => y.jaccard - x.jaccard)}
                    columns={[
                      { title: t('overlap.pair'), render: (_, p) => `${label(keyOf(p.a))} × ${label(keyOf(p.b))}` },
                      { title: t('overlap.both'), dataIndex: 'intersection', align: 'right', render: (v: number) => format.number(v) },
                      { title: t('overlap.either'), dataIndex: 'union', align: 'right', render: (v: number) => format.number(v) },
                      { title: t('overlap.jaccardTitle'), dataIndex: 'jaccard', align: 'right', render: (v: number) => format.percent(v) },
                    ]}
                  />
                </>
              );
            }}
          </Loaded>
        </Card>
      ) : (
        <Empty description={t('overlap.empty')} />
      )}
    </Space>
  );
}
