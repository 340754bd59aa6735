import { CameraOutlined, DownloadOutlined, EditOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Descriptions, Modal, Popconfirm, Segmented, Select, Skeleton, Space, Table, Tag, Typography } from 'antd';
import { lazy, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, useApi, type ApiError } from '../api';
import { editableRule, RuleBuilder, RuleOptionsProvider } from '../components/rules';
import { errorText, Loaded } from '../components/States';
import { useFormat } from '../format';
import type { PageProps } from '../routes';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { profileName } from './profileText';
import type { Segment } from './Segments';
import { StaticSegmentModal } from './StaticSegment';
import { useFeedback } from '../feedback';

const SegmentTrendChart = lazy(() => import('./ruleCharts').then((m) => ({ default: m.SegmentTrendChart })));

interface Member {
  profileId: number;
  enteredAt: string;
  traits: Record<string, unknown>;
  identifiers: { type: string; value: string }[];
}

/** One segment: size, entered/exited trend, members paged by the server, CSV export, its rule. */
export function SegmentDetailPage({ params }: PageProps) {
  const { t } = useTranslation();
  const id = params.id!;
  const state = useApi<Segment>(`/api/v1/segments/${encodeURIComponent(id)}`);
  return (
    <Loaded state={state} feature={t('segmentsPage.title')}>
      {(segment) => <SegmentDetail segment={segment} reload={state.reload} />}
    </Loaded>
  );
}

function SegmentDetail({ segment, reload }: { segment: Segment; reload: () => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { message } = useFeedback();
  const { canWrite } = useSession();
  const [exporting, setExporting] = useState(false);
  const [busy, setBusy] = useState(false);
  const [snapshot, setSnapshot] = useState(false);
  const path = `/api/v1/segments/${encodeURIComponent(segment.id)}`;

  const recompute = async () => {
    setBusy(true);
    try {
      await api(`${path}/recompute`, { method: 'POST' });
      message.success(t('segmentsPage.recomputed'));
      reload();
    } catch (err) {
      message.error(errorText(t, err as ApiError));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    try {
      await api(path, { method: 'DELETE' });
      message.success(t('segmentsPage.deleted'));
      navigate('/segments');
    } catch (err) {
      message.error(errorText(t, err as ApiError));
    }
  };

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={3} data-testid="segment-title">{segment.name}</Typography.Title>
        <Space wrap>
          <Button icon={<DownloadOutlined />} onClick={() => setExporting(true)}>{t('segmentsPage.export')}</Button>
          {canWrite && <Button icon={<CameraOutlined />} onClick={() => setSnapshot(true)}>{t('segmentsPage.snapshot')}</Button>}
          {canWrite && segment.kind === 'rule' && <Button icon={<ReloadOutlined />} loading={busy} onClick={recompute}>{t('segmentsPage.recompute')}</Button>}
          {canWrite && segment.kind === 'rule' && <Button type="primary" icon={<EditOutlined />} onClick={() => navigate(`/segments/${segment.id}/edit`)}>{t('segmentsPage.edit')}</Button>}
          {canWrite && (
            <Popconfirm title={t('segmentsPage.deleteConfirm', { name: segment.name })} onConfirm={remove} okText={t('segmentsPage.delete')} cancelText={t('common.cancel')}>
              <Button danger>{t('segmentsPage.delete')}</Button>
            </Popconfirm>
          )}
        </Space>
      </Space>
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Card>
          <Descriptions column={{ xs: 1, md: 4 }}>
            <Descriptions.Item label={t('segmentsPage.size')}><span data-testid="segment-size">{format.number(segment.size)}</span></Descriptions.Item>
            <Descriptions.Item label={t('segmentsPage.kind')}><Tag color={segment.kind === 'rule' ? 'blue' : 'default'}>{t(segment.kind === 'rule' ? 'segmentsPage.kindRule' : 'segmentsPage.kindStatic')}</Tag></Descriptions.Item>
            <Descriptions.Item label={t('segmentsPage.computedAt')}>{format.dateTime(segment.computedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('segmentsPage.description')}>{segment.description || '—'}</Descriptions.Item>
          </Descriptions>
        </Card>
        <TrendCard path={path} />
        <MembersCard path={path} />
        {segment.kind === 'rule' && (
          <Card title={t('segmentsPage.rule')}>
            <RuleOptionsProvider>
              <RuleBuilder value={editableRule(segment.rule)} onChange={() => undefined} readOnly />
            </RuleOptionsProvider>
          </Card>
        )}
      </Space>
      <ExportModal open={exporting} onClose={() => setExporting(false)} path={path} />
      <StaticSegmentModal open={snapshot} onClose={() => setSnapshot(false)} snapshotOf={segment} />
    </>
  );
}

function TrendCard({ path }: { path: string }) {
  const { t } = useTranslation();
  const [days, setDays] = useState(30);
  const state = useApi<{ data: { day: string; entered: number; exited: number }[] }>(`${path}/trend`, { days });
  return (
    <Card title={t('segmentsPage.trend')} extra={<Segmented size="small" value={days} onChange={(v) => setDays(Number(v))} options={[7, 30, 90].map((d) => ({ value: d, label: t('segmentsPage.lastDays', { days: d }) }))} />}>
      <Loaded state={state} feature={t('segmentsPage.trend')}>
        {(body) => (
          <Suspense fallback={<Skeleton active />}>
            <SegmentTrendChart points={body.data} />
          </Suspense>
        )}
      </Loaded>
    </Card>
  );
}

const PAGE = 20;

function MembersCard({ path }: { path: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const [cursors, setCursors] = useState<number[]>([]);
  const state = useApi<{ data: Member[]; next: number | null }>(`${path}/members`, { limit: PAGE, after: cursors[cursors.length - 1] });
  return (
    <Card title={t('segmentsPage.members')}>
      <Loaded state={state} feature={t('segmentsPage.members')}>
        {(page) => (
          <>
            <Table<Member>
              data-testid="segment-members"
              rowKey="profileId"
              size="middle"
              loading={state.loading}
              dataSource={page.data}
              pagination={false}
              onRow={(m) => ({ onClick: () => navigate(`/profiles/${m.profileId}`), style: { cursor: 'pointer' } })}
              columns={[
                { title: t('profiles.id'), dataIndex: 'profileId', width: 120, render: (v: number) => <Link to={`/profiles/${v}`}>{v}</Link> },
                { title: t('profiles.displayName'), render: (_, m) => profileName(m.traits, m.identifiers, { skipAnonymous: true }) ?? t('profiles.anonymous') },
                {
                  title: t('profiles.identifiers'),
                  render: (_, m) => (
                    <Space size={[4, 4]} wrap>
                      {m.identifiers.slice(0, 3).map((i) => <Tag key={`${i.type}:${i.value}`}>{i.type}: {i.value}</Tag>)}
                    </Space>
                  ),
                },
                { title: t('segmentsPage.enteredAt'), dataIndex: 'enteredAt', width: 200, render: (v: string) => format.dateTime(v) },
              ]}
            />
            <Space style={{ marginTop: 16 }}>
              <Button disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>{t('common.previous')}</Button>
              <Button disabled={page.next === null} onClick={() => page.next !== null && setCursors((c) => [...c, page.next!])} data-testid="members-next">{t('common.next')}</Button>
              <Typography.Text type="secondary">{t('segmentsPage.pageNumber', { page: cursors.length + 1 })}</Typography.Text>
            </Space>
          </>
        )}
      </Loaded>
    </Card>
  );
}

/** The CSV export: choose identifier types and traits; the browser downloads the file from the export endpoint. */
function ExportModal({ open, onClose, path }: { open: boolean; onClose: () => void; path: string }) {
  const { t } = useTranslation();
  const identifierSettings = useApi<{ data: { type: string }[] }>(open ? '/api/v1/identifier-settings' : null);
  const [identifierTypes, setIdentifierTypes] = useState<string[]>(['phone', 'email', 'member_no']);
  const [traits, setTraits] = useState<string[]>(['name']);
  const query = new URLSearchParams({ identifierTypes: identifierTypes.join(','), traits: traits.join(',') });
  const href = `${path}/export?${query}`;
  return (
    <Modal open={open} title={t('segmentsPage.export')} onCancel={onClose} destroyOnHidden
      footer={[
        <Button key="cancel" onClick={onClose}>{t('common.cancel')}</Button>,
        <Button key="download" type="primary" icon={<DownloadOutlined />} href={href} download onClick={onClose} data-testid="export-download">{t('segmentsPage.download')}</Button>,
      ]}>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Typography.Text>{t('segmentsPage.exportIdentifiers')}</Typography.Text>
        <Select aria-label={t('segmentsPage.exportIdentifiers')} mode="tags" value={identifierTypes} onChange={setIdentifierTypes} style={{ width: '100%' }}
          options={(identifierSettings.data?.data ?? []).map((i) => ({ value: i.type, label: i.type }))} />
        <Typography.Text>{t('segmentsPage.exportTraits')}</Typography.Text>
        <Select aria-label={t('segmentsPage.exportTraits')} mode="tags" value={traits} onChange={setTraits} style={{ width: '100%' }} tokenSeparators={[',']} />
      </Space>
    </Modal>
  );
}
