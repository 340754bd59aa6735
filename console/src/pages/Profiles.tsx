import { Button, Card, Input, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api';
import { Loaded } from '../components/States';
import { useFormat } from '../format';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { profileName } from './profileText';

interface ProfileRow {
  id: number;
  traits: Record<string, unknown>;
  identifiers?: { type: string; value: string }[];
  firstSeenAt: string | null;
  lastSeenAt: string | null;
}

/** Search and page through profiles (a guide sees their own customers). Paging is by the server's cursor. */
export function ProfilesPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { me } = useSession();
  const guide = me?.role === 'guide';
  const [q, setQ] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const state = useApi<{ data: ProfileRow[]; nextCursor?: string | null }>(guide ? '/api/v1/me/customers' : '/api/v1/profiles', { q, limit: 20, cursor });

  const search = (value: string) => {
    setCursors([]);
    setQ(value.trim());
  };

  return (
    <>
      <Typography.Title level={3}>{t(guide ? 'menu.myCustomers' : 'profiles.title')}</Typography.Title>
      <Card>
        <Input.Search
          aria-label={t('profiles.searchPlaceholder')}
          placeholder={t('profiles.searchPlaceholder')}
          allowClear
          enterButton={t('common.search')}
          onSearch={search}
          style={{ maxWidth: 560, marginBottom: 16 }}
          data-testid="profile-search"
        />
        <Loaded state={state} feature={t('profiles.title')}>
          {(page) => (
            <>
              <Table<ProfileRow>
                rowKey="id"
                dataSource={page.data}
                loading={state.loading}
                pagination={false}
                onRow={(row) => ({ onClick: () => navigate(`/profiles/${row.id}`), style: { cursor: 'pointer' } })}
                columns={[
                  { title: t('profiles.id'), dataIndex: 'id', width: 110, render: (id: number) => <Link to={`/profiles/${id}`}>{id}</Link> },
                  { title: t('profiles.displayName'), render: (_, row) => profileName(row.traits, row.identifiers) ?? t('profiles.anonymous') },
                  {
                    title: t('profiles.identifiers'),
                    render: (_, row) => (
                      <Space size={[4, 4]} wrap>
                        {(row.identifiers ?? []).slice(0, 4).map((i) => (
                          <Tag key={`${i.type}:${i.value}`}>{i.type}: {i.value}</Tag>
                        ))}
                      </Space>
                    ),
                  },
                  { title: t('profiles.lastSeen'), dataIndex: 'lastSeenAt', width: 200, render: (v: string | null) => format.dateTime(v) },
                ]}
              />
              <Space style={{ marginTop: 16 }}>
                <Button disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>{t('common.previous')}</Button>
                <Button disabled={!page.nextCursor} onClick={() => page.nextCursor && setCursors((c) => [...c, page.nextCursor!])} data-testid="next-page">
                  {t('common.next')}
                </Button>
              </Space>
            </>
          )}
        </Loaded>
      </Card>
    </>
  );
}
