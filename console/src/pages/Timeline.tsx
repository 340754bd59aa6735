import { Button, Empty, Timeline as AntTimeline, Typography } from 'antd';
import { ShoppingCartOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type ApiError } from '../api';
import { ErrorState, NotAvailable } from '../components/States';
import { useFormat } from '../format';
import { valueText } from './profileText';

interface Entry {
  kind: 'event' | 'order';
  id: string;
  type: string;
  event: string | null;
  timestamp: string;
  properties: Record<string, unknown> | null;
  order?: Record<string, unknown>;
}

/** Events and orders of one profile, newest first, a page at a time (server cursor). */
export function Timeline({ profileId }: { profileId: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(false);

  const load = async (cursor?: string) => {
    setLoading(true);
    try {
      const page = await api<{ data: Entry[]; nextCursor?: string | null }>(`/api/v1/profiles/${profileId}/events`, { query: { limit: 30, cursor } });
      setEntries((e) => (cursor ? [...e, ...page.data] : page.data));
      setNext(page.nextCursor ?? null);
      setError(undefined);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    setEntries([]);
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [profileId]);

  if (error?.missingRoute) return <NotAvailable feature={t('profiles.timeline')} />;
  if (error && entries.length === 0) return <ErrorState error={error} onRetry={() => void load()} />;
  if (!loading && entries.length === 0) return <Empty description={t('profiles.noTimeline')} />;

  const describe = (e: Entry) => {
    if (e.kind === 'order') {
      const amount = Number(e.order?.paidAmount ?? e.order?.totalAmount ?? e.properties?.total ?? NaN);
      const status = e.order?.status;
      return (
        <>
          <Typography.Text strong>{t('profiles.order')} {e.id}</Typography.Text>{' '}
          {!Number.isNaN(amount) && <Typography.Text>{t('profiles.orderTotal', { amount: format.money(amount) })}</Typography.Text>}{' '}
          {typeof status === 'string' && <Typography.Text type="secondary">{t('profiles.orderStatus', { status: t(`profiles.orderStatuses.${status}`, { defaultValue: status }) })}</Typography.Text>}
        </>
      );
    }
    const props = Object.entries(e.properties ?? {}).slice(0, 4).map(([k, v]) => `${k}: ${valueText(v)}`).join(' · ');
    return (
      <>
        <Typography.Text strong>{e.event ?? e.type}</Typography.Text>
        {props && <Typography.Text type="secondary"> — {props}</Typography.Text>}
      </>
    );
  };

  return (
    <div data-testid="timeline">
      <AntTimeline
        items={entries.map((e) => ({
          key: `${e.kind}:${e.id}`,
          color: e.kind === 'order' ? 'green' : 'blue',
          dot: e.kind === 'order' ? <ShoppingCartOutlined /> : <ThunderboltOutlined />,
          children: (
            <div>
              <div>{describe(e)}</div>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>{format.dateTime(e.timestamp)}</Typography.Text>
            </div>
          ),
        }))}
      />
      {next && <Button onClick={() => void load(next)} loading={loading}>{t('common.loadMore')}</Button>}
    </div>
  );
}
