import { PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { Button, Card, Input, Select, Space, Table, Tag, Typography } from 'antd';
import type { SorterResult } from 'antd/es/table/interface';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api';
import { Loaded } from '../components/States';
import { useFormat } from '../format';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { StaticSegmentModal } from './StaticSegment';

export interface Segment {
  id: string;
  name: string;
  description: string | null;
  kind: 'rule' | 'static';
  rule: unknown;
  size: number;
  computedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const PAGE = 20;
type Sort = 'createdAt' | 'name' | 'size' | 'updatedAt';

/** Segments with their sizes: searched, filtered, sorted and paged on the server. */
export function SegmentsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { canWrite } = useSession();
  const [q, setQ] = useState('');
  const [kind, setKind] = useState<string>();
  const [sort, setSort] = useState<{ sort?: Sort; order?: 'asc' | 'desc' }>({});
  const [page, setPage] = useState(1);
  const [uploading, setUploading] = useState(false);
  const state = useApi<{ data: Segment[]; total: number }>('/api/v1/segments', { q, kind, ...sort, limit: PAGE, offset: (page - 1) * PAGE });

  const onSort = (sorter: SorterResult<Segment> | SorterResult<Segment>[]) => {
    const s = Array.isArray(sorter) ? sorter[0] : sorter;
    setSort(s?.order ? { sort: s.columnKey as Sort, order: s.order === 'ascend' ? 'asc' : 'desc' } : {});
    setPage(1);
  };
  const order = (key: Sort) => (sort.sort === key ? (sort.order === 'asc' ? 'ascend' : 'descend') : null);

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3}>{t('segmentsPage.title')}</Typography.Title>
        {canWrite && (
          <Space>
            <Button icon={<UploadOutlined />} onClick={() => setUploading(true)}>{t('segmentsPage.newStatic')}</Button>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/segments/new')}>{t('segmentsPage.new')}</Button>
          </Space>
        )}
      </Space>
      <Card>
        <Space style={{ marginBottom: 16 }} wrap>
          <Input.Search aria-label={t('segmentsPage.search')} placeholder={t('segmentsPage.search')} allowClear onSearch={(v) => { setQ(v.trim()); setPage(1); }} style={{ width: 280 }} />
          <Select aria-label={t('segmentsPage.kind')} allowClear placeholder={t('segmentsPage.allKinds')} value={kind} onChange={(v) => { setKind(v); setPage(1); }} style={{ width: 160 }}
            options={[{ value: 'rule', label: t('segmentsPage.kindRule') }, { value: 'static', label: t('segmentsPage.kindStatic') }]} />
        </Space>
        <Loaded state={state} feature={t('segmentsPage.title')}>
          {(body) => (
            <Table<Segment>
              data-testid="segments-table"
              rowKey="id"
              loading={state.loading}
              dataSource={body.data}
              onChange={(_p, _f, sorter) => onSort(sorter)}
              pagination={{ current: page, pageSize: PAGE, total: body.total, showSizeChanger: false, onChange: setPage, showTotal: (total) => t('resources.total', { count: total }) }}
              columns={[
                { key: 'name', title: t('common.name'), dataIndex: 'name', sorter: true, sortOrder: order('name'), render: (v: string, s) => <Link to={`/segments/${s.id}`}>{v}</Link> },
                { key: 'kind', title: t('segmentsPage.kind'), dataIndex: 'kind', render: (v: string) => <Tag color={v === 'rule' ? 'blue' : 'default'}>{t(v === 'rule' ? 'segmentsPage.kindRule' : 'segmentsPage.kindStatic')}</Tag> },
                { key: 'size', title: t('segmentsPage.size'), dataIndex: 'size', sorter: true, sortOrder: order('size'), align: 'right', render: (v: number) => format.number(v) },
                { key: 'computedAt', title: t('segmentsPage.computedAt'), dataIndex: 'computedAt', render: (v: string | null) => format.dateTime(v) },
                { key: 'updatedAt', title: t('segmentsPage.updatedAt'), dataIndex: 'updatedAt', sorter: true, sortOrder: order('updatedAt'), render: (v: string) => format.dateTime(v) },
                {
                  key: 'actions',
                  title: t('common.actions'),
                  render: (_, s) => (
                    <Space size="small">
                      <Button size="small" onClick={() => navigate(`/segments/${s.id}`)}>{t('segmentsPage.members')}</Button>
                      {canWrite && s.kind === 'rule' && <Button size="small" onClick={() => navigate(`/segments/${s.id}/edit`)}>{t('segmentsPage.edit')}</Button>}
                    </Space>
                  ),
                },
              ]}
            />
          )}
        </Loaded>
      </Card>
      <StaticSegmentModal open={uploading} onClose={() => setUploading(false)} />
    </>
  );
}
