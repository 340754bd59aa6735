import { Card, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api';
import { Loaded } from '../components/States';
import { useFormat } from '../format';

interface EventRow {
  type: string;
  event: string | null;
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
  properties: string[];
}

/** The event schema browser: every event seen, its volume, first and last time, and the properties it carries. */
export function EventSchemaPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const state = useApi<{ data: EventRow[] }>('/api/v1/events/schema');
  const [q, setQ] = useState('');
  const [type, setType] = useState<string>();
  const types = useMemo(() => [...new Set((state.data?.data ?? []).map((e) => e.type))].sort(), [state.data]);
  return (
    <>
      <Typography.Title level={3}>{t('eventSchema.title')}</Typography.Title>
      <Card>
        <Typography.Paragraph type="secondary">{t('eventSchema.hint')}</Typography.Paragraph>
        <Space style={{ marginBottom: 16 }} wrap>
          <Input.Search aria-label={t('eventSchema.search')} placeholder={t('eventSchema.search')} allowClear onChange={(e) => setQ(e.target.value)} onSearch={setQ} style={{ width: 280 }} />
          <Select aria-label={t('eventSchema.type')} allowClear placeholder={t('eventSchema.allTypes')} value={type} onChange={setType} style={{ width: 160 }} options={types.map((v) => ({ value: v, label: v }))} />
        </Space>
        <Loaded state={state} feature={t('eventSchema.title')}>
          {({ data }) => {
            const needle = q.trim().toLowerCase();
            const rows = data.filter((e) => (!type || e.type === type) && (!needle || (e.event ?? e.type).toLowerCase().includes(needle) || e.properties.some((p) => p.toLowerCase().includes(needle))));
            return (
              <Table<EventRow>
                data-testid="event-schema"
                rowKey={(e) => `${e.type}:${e.event ?? ''}`}
                dataSource={rows}
                pagination={{ pageSize: 20, hideOnSinglePage: true, showTotal: (total) => t('resources.total', { count: total }) }}
                columns={[
                  { title: t('eventSchema.event'), key: 'event', sorter: (a, b) => (a.event ?? a.type).localeCompare(b.event ?? b.type), render: (_, e) => <Typography.Text strong>{e.event ?? e.type}</Typography.Text> },
                  { title: t('eventSchema.type'), dataIndex: 'type', render: (v: string) => <Tag>{v}</Tag> },
                  { title: t('eventSchema.volume'), dataIndex: 'count', align: 'right', defaultSortOrder: 'descend', sorter: (a, b) => a.count - b.count, render: (v: number) => format.number(v) },
                  { title: t('eventSchema.firstSeen'), dataIndex: 'firstSeenAt', sorter: (a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt), render: (v: string) => format.dateTime(v) },
                  { title: t('eventSchema.lastSeen'), dataIndex: 'lastSeenAt', sorter: (a, b) => a.lastSeenAt.localeCompare(b.lastSeenAt), render: (v: string) => format.dateTime(v) },
                  {
                    title: t('eventSchema.properties'),
                    dataIndex: 'properties',
                    render: (props: string[]) =>
                      props.length ? (
                        <Space size={[4, 4]} wrap style={{ maxWidth: 420 }}>
                          {props.slice(0, 12).map((p) => <Tag key={p} color="blue">{p}</Tag>)}
                          {props.length > 12 && <Typography.Text type="secondary">{t('eventSchema.more', { count: props.length - 12 })}</Typography.Text>}
                        </Space>
                      ) : (
                        <Typography.Text type="secondary">{t('eventSchema.noProperties')}</Typography.Text>
                      ),
                  },
                ]}
                expandable={{
                  rowExpandable: (e) => e.properties.length > 12,
                  expandedRowRender: (e) => <Space size={[4, 4]} wrap>{e.properties.map((p) => <Tag key={p}>{p}</Tag>)}</Space>,
                }}
              />
            );
          }}
        </Loaded>
      </Card>
    </>
  );
}
