import { Card, Space, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api';
import { Loaded } from '../components/States';
import { useFormat } from '../format';
import type { PageProps } from '../routes';
import { valueText } from './profileText';

type Row = Record<string, unknown>;
const preferred = ['name', 'key', 'title', 'type', 'status', 'size', 'count', 'channel', 'description', 'updatedAt', 'createdAt'];

/**
 * A read-only list of whatever a module's list endpoint returns, until that module's own page lands. When the
 * endpoint is not on the server yet, the page says so ("not available yet") instead of failing.
 */
function ResourceTable({ endpoint, title }: { endpoint: string; title: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const state = useApi<{ data: Row[] } | Row[]>(endpoint);
  return (
    <Card title={title}>
      <Loaded state={state} feature={title}>
        {(body) => {
          const rows = Array.isArray(body) ? body : (body.data ?? []);
          const keys = Object.keys(rows[0] ?? {});
          const columns = [...preferred.filter((k) => keys.includes(k)), ...keys.filter((k) => !preferred.includes(k))].slice(0, 6);
          return (
            <>
              <Table<Row>
                rowKey={(r) => String(r.id ?? r.key ?? r.type ?? JSON.stringify(r))}
                dataSource={rows}
                pagination={{ pageSize: 20, hideOnSinglePage: true }}
                columns={columns.map((k) => ({
                  title: k,
                  dataIndex: k,
                  render: (v: unknown) => (/At$/.test(k) && typeof v === 'string' ? format.dateTime(v) : valueText(v)),
                }))}
              />
              <Typography.Text type="secondary">{t('resources.total', { count: rows.length })}</Typography.Text>
            </>
          );
        }}
      </Loaded>
    </Card>
  );
}

/** A page for a menu entry whose own screens come later: one table per endpoint. */
export function resourcePage(resource: 'tags' | 'segments' | 'journeys' | 'templates' | 'loyalty' | 'import' | 'events', endpoints: string[]) {
  const titles: Record<string, string> = { '/api/v1/channels': 'resources.channels' };
  return function ResourcePage(_props: PageProps) {
    const { t } = useTranslation();
    return (
      <>
        <Typography.Title level={3}>{t(`resources.${resource}`)}</Typography.Title>
        <Space direction="vertical" size="middle" style={{ width: '100%' }}>
          {endpoints.map((e) => (
            <ResourceTable key={e} endpoint={e} title={t(titles[e] ?? `resources.${resource}`)} />
          ))}
        </Space>
      </>
    );
  };
}
