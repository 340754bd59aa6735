import { Button, Card, Input, Segmented, Space, Table, Tag, Typography } from 'antd';
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

type ProfileKind = 'members' | 'known' | 'anonymous' | 'all';
const KINDS: ProfileKind[] = ['known', 'members', 'anonymous', 'all'];

/** Search and page through profiles (a guide sees their own customers). Paging is by the server's cursor. */
export function ProfilesPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { me } = useSession();
  const guide = me?.role === 'guide';
  const [q, setQ] = useState('');
  // Identified people first: a brand's anonymous visitors usually outnumber the people it knows.
  const [kind, setKind] = useState<ProfileKind>('known');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const state = useApi<{ data: ProfileRow[]; nextCursor?: string | null }>(
    guide ? '/api/v1/me/customers' : '/api/v1/profiles',
    guide ? { q, limit: 20 } : { q, kind, limit: 20, cursor },
  );

  const search = (value: string) => {
    setCursors([]);
    setQ(value.trim());
  };

  return (
    <>
      <Typography.Title level={3}>{t(guide ? 'menu.myCustomers' : 'profiles.title')}</Typography.Title>
      <Card>
        <Space wrap size={16} style={{ marginBottom: 16 }}>
          <Input.Search
            aria-label={t('profiles.searchPlaceholder')}
            placeholder={t('profiles.searchPlaceholder')}
            allowClear
            enterButton={t('common.search')}
            onSearch={search}
            style={{ width: 480, maxWidth: '100%' }}
            data-testid="profile-search"
          />
          {!guide && (
            <Segmented<ProfileKind>
              value={kind}
              onChange={(value) => {
                setCursors([]);
                setKind(value);
              }}
              options={KINDS.map((value) => ({ value, label: t(`profiles.kinds.${value}`) }))}
              data-testid="profile-kind"
            />
          )}
        </Space>
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
                  {
                    title: t('profiles.displayName'),
                    width: 180,
                    render: (_, row) => {
                      const name = profileName(row.traits, row.identifiers, { skipAnonymous: true });
                      return name ?? <Typography.Text type="secondary">{t('profiles.anonymous')}</Typography.Text>;
                    },
                  },
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
