import { Button, Descriptions, Drawer, Empty, InputNumber, Select, Space, Table, Tag, Timeline, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api';
import { Loaded } from '../../components/States';
import { useFormat } from '../../format';
import { Link } from '../../router';
import type { Definition } from './model';

export interface Entry {
  entryId: number;
  profileId: number;
  name: string | null;
  version: number;
  status: 'active' | 'finished' | 'exited';
  nodeId: string;
  enteredAt: string;
  finishedAt: string | null;
  exitReason: string | null;
  converted: boolean;
}
export interface JourneyPath {
  entryId: number;
  journeyId: string;
  version: number;
  status: Entry['status'];
  nodeId: string;
  enteredAt: string;
  finishedAt: string | null;
  exitReason: string | null;
  converted: boolean;
  steps: { nodeId: string | null; outcome: string; detail: unknown; at: string }[];
}

const statusColor = { active: 'processing', finished: 'success', exited: 'default' } as const;

/** Who entered the journey, and one person's path through it: "why did she get this message?" */
export function PathDrawer({ journeyId, def, open, onClose, profileId, onProfile, path }: {
  journeyId: string;
  def: Definition;
  open: boolean;
  onClose: () => void;
  profileId?: number;
  onProfile: (id: number | undefined) => void;
  path?: JourneyPath;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const [status, setStatus] = useState<string>();
  const [page, setPage] = useState(1);
  const [lookup, setLookup] = useState<number | null>(null);
  const entries = useApi<{ data: Entry[]; total: number }>(open ? `/api/v1/journeys/${journeyId}/entries` : null, { status, limit: 10, offset: (page - 1) * 10 });
  const nodeName = (id: string | null) => {
    if (!id) return t('journeys.trigger');
    const n = def.nodes.find((x) => x.id === id);
    return n ? `${n.label || n.id} · ${t(`journeys.nodeTypes.${n.type}`)}` : id;
  };
  const outcome = (o: string) => {
    const [head, rest] = [o.split(':')[0]!, o.split(':').slice(1).join(':')];
    const known = t(`journeys.outcomes.${head}`, { defaultValue: '' });
    return known ? (rest ? `${known}: ${rest}` : known) : o;
  };

  return (
    <Drawer open={open} onClose={onClose} width={560} title={t('journeys.people')} data-testid="path-drawer" mask={false}>
      {profileId === undefined ? (
        <>
          <Space style={{ marginBottom: 12 }} wrap>
            <Select aria-label={t('journeys.entryStatus')} allowClear placeholder={t('journeys.allStatuses')} value={status} onChange={(v) => { setStatus(v); setPage(1); }} style={{ width: 160 }}
              options={(['active', 'finished', 'exited'] as const).map((s) => ({ value: s, label: t(`journeys.entryStatuses.${s}`) }))} />
            <InputNumber aria-label={t('profiles.id')} placeholder={t('profiles.id')} value={lookup} onChange={setLookup} min={1} style={{ width: 140 }} />
            <Button disabled={!lookup} onClick={() => lookup && onProfile(lookup)}>{t('journeys.openPath')}</Button>
          </Space>
          <Loaded state={entries} feature={t('journeys.people')}>
            {(body) => (
              <Table<Entry> size="small" rowKey="entryId" dataSource={body.data} loading={entries.loading} data-testid="journey-entries"
                pagination={{ current: page, pageSize: 10, total: body.total, onChange: setPage, showSizeChanger: false, showTotal: (n) => t('resources.total', { count: n }) }}
                columns={[
                  { key: 'who', title: t('profiles.displayName'), render: (_, e) => <Button type="link" size="small" style={{ padding: 0 }} onClick={() => onProfile(e.profileId)}>{e.name ?? `#${e.profileId}`}</Button> },
                  { key: 'status', title: t('journeys.entryStatus'), render: (_, e) => <Tag color={statusColor[e.status]}>{t(`journeys.entryStatuses.${e.status}`)}{e.converted ? ' ★' : ''}</Tag> },
                  { key: 'node', title: t('journeys.atNode'), render: (_, e) => nodeName(e.nodeId) },
                  { key: 'entered', title: t('journeys.enteredAt'), render: (_, e) => format.dateTime(e.enteredAt) },
                ]} />
            )}
          </Loaded>
        </>
      ) : (
        <div data-testid="journey-path">
          <Space style={{ marginBottom: 12 }}>
            <Button onClick={() => onProfile(undefined)}>{t('common.back')}</Button>
            <Link to={`/profiles/${profileId}`}>{t('journeys.openProfile')}</Link>
          </Space>
          {!path ? <Empty description={t('journeys.noPath')} /> : (
            <>
              <Descriptions size="small" column={2} style={{ marginBottom: 12 }} items={[
                { key: 's', label: t('journeys.entryStatus'), children: <Tag color={statusColor[path.status]}>{t(`journeys.entryStatuses.${path.status}`)}</Tag> },
                { key: 'v', label: t('journeys.version'), children: format.number(path.version) },
                { key: 'e', label: t('journeys.enteredAt'), children: format.dateTime(path.enteredAt) },
                { key: 'f', label: t('journeys.finishedAt'), children: format.dateTime(path.finishedAt) },
                { key: 'c', label: t('journeys.converted'), children: path.converted ? t('common.yes') : t('common.no') },
                { key: 'r', label: t('journeys.exitReason'), children: path.exitReason ?? '—' },
              ]} />
              <Timeline items={path.steps.map((s, i) => ({
                key: i,
                color: /fail|unreachable|skipped/.test(s.outcome) ? 'red' : s.outcome === 'sent' ? 'blue' : 'green',
                children: (
                  <div data-testid="path-step" data-node-id={s.nodeId ?? ''} data-outcome={s.outcome}>
                    <Typography.Text strong>{nodeName(s.nodeId)}</Typography.Text> — {outcome(s.outcome)}
                    <div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{format.dateTime(s.at)}</Typography.Text></div>
                    {s.detail !== null && s.detail !== undefined && (
                      <Typography.Text type="secondary" style={{ fontSize: 12, wordBreak: 'break-all' }} code>{JSON.stringify(s.detail)}</Typography.Text>
                    )}
                  </div>
                ),
              }))} />
            </>
          )}
        </div>
      )}
    </Drawer>
  );
}
