import { Alert, Button, Card, Descriptions, Input, Popconfirm, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, useApi } from '../../api';
import { ErrorState, Loaded } from '../../components/States';
import { useFormat } from '../../format';
import { Link, navigate, useLocation } from '../../router';
import { useSession } from '../../session';
import { profileName } from '../profileText';
import { couponStatusColor, useAction, useLoyaltyRefs, type Coupon, type Member, type PointsAccount, type PointsEntry } from './common';
import { AdjustModal, IssueModal } from './LedgerModals';

interface ProfileHit {
  id: number;
  traits: Record<string, unknown>;
  identifiers?: { type: string; value: string }[];
}

/** The points ledger of one member: find the member, read balance and entries, adjust, issue and void coupons. */
export function LedgerTab() {
  const { search } = useLocation();
  const profileId = Number(search.get('profile'));
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <MemberSearch />
      {Number.isSafeInteger(profileId) && profileId > 0 && <MemberLedger key={profileId} profileId={profileId} />}
    </Space>
  );
}

function MemberSearch() {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const hits = useApi<{ data: ProfileHit[] }>(q ? '/api/v1/profiles' : null, { q, limit: 10 });
  const open = (id: number) => {
    setQ('');
    navigate(`/loyalty/ledger?profile=${id}`);
  };
  return (
    <Card title={t('loyalty.ledger.find')}>
      <Input.Search
        aria-label={t('loyalty.ledger.searchPlaceholder')}
        placeholder={t('loyalty.ledger.searchPlaceholder')}
        enterButton={t('common.search')}
        allowClear
        style={{ maxWidth: 560 }}
        onSearch={(value) => {
          const v = value.trim();
          if (/^#\d+$/.test(v)) open(Number(v.slice(1)));
          else setQ(v);
        }}
        data-testid="member-search"
      />
      {q && (
        <div style={{ marginTop: 16 }}>
          <Loaded state={hits} feature={t('profiles.title')}>
            {(body) => (
              <Table<ProfileHit>
                size="small"
                rowKey="id"
                pagination={false}
                dataSource={body.data}
                data-testid="member-hits"
                onRow={(row) => ({ onClick: () => open(row.id), style: { cursor: 'pointer' } })}
                columns={[
                  { title: t('profiles.id'), dataIndex: 'id', width: 110 },
                  { title: t('profiles.displayName'), render: (_, row) => profileName(row.traits, row.identifiers, { skipAnonymous: true }) ?? t('profiles.anonymous') },
                  {
                    title: t('profiles.identifiers'),
                    render: (_, row) => (row.identifiers ?? []).slice(0, 3).map((i) => <Tag key={`${i.type}:${i.value}`}>{i.type}: {i.value}</Tag>),
                  },
                ]}
              />
            )}
          </Loaded>
        </div>
      )}
    </Card>
  );
}

const PAGE = 20;
const kindColor: Record<PointsEntry['kind'], string> = { earn: 'green', redeem: 'blue', expire: 'default', adjust: 'purple', reverse: 'orange' };

function MemberLedger({ profileId }: { profileId: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { canWrite } = useSession();
  const act = useAction();
  const refs = useLoyaltyRefs();
  const profile = useApi<ProfileHit>(`/api/v1/profiles/${profileId}`);
  const member = useApi<Member>(`/api/v1/loyalty/members/${profileId}`);
  const account = useApi<PointsAccount>(`/api/v1/loyalty/points/${profileId}`);
  const [cursors, setCursors] = useState<number[]>([]);
  const entries = useApi<{ data: PointsEntry[] }>(`/api/v1/loyalty/points/${profileId}/entries`, { limit: PAGE + 1, beforeId: cursors[cursors.length - 1] });
  const coupons = useApi<{ data: Coupon[] }>('/api/v1/loyalty/coupons', { profileId, limit: 100 });
  const history = useApi<{ data: { fromTier: string | null; toTier: string | null; reason: string; qualifying: number; at: string }[] }>(
    member.data ? `/api/v1/loyalty/members/${profileId}/tier-history` : null,
  );
  const [adjusting, setAdjusting] = useState(false);
  const [issuing, setIssuing] = useState(false);

  const refresh = () => {
    setCursors([]);
    account.reload();
    entries.reload();
    coupons.reload();
    member.reload();
  };
  const rows = entries.data?.data ?? [];
  const page = rows.slice(0, PAGE);
  const hasMore = rows.length > PAGE;
  const name = profile.data ? (profileName(profile.data.traits, profile.data.identifiers, { skipAnonymous: true }) ?? t('profiles.anonymous')) : `#${profileId}`;

  return (
    <>
      {profile.error && <ErrorState error={profile.error} onRetry={profile.reload} />}
      <Card
        title={<span data-testid="ledger-member">{t('loyalty.ledger.memberTitle', { name, id: profileId })}</span>}
        extra={
          <Space>
            <Link to={`/profiles/${profileId}`}>{t('loyalty.ledger.openProfile')}</Link>
            {canWrite && <Button onClick={() => setAdjusting(true)} data-testid="adjust-points">{t('loyalty.ledger.adjust')}</Button>}
            {canWrite && <Button type="primary" onClick={() => setIssuing(true)} data-testid="issue-coupon">{t('loyalty.ledger.issueCoupon')}</Button>}
          </Space>
        }
      >
        {member.data ? (
          <Descriptions size="small" column={{ xs: 1, md: 4 }} style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('loyalty.member.memberNo')}>{member.data.memberNo}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.member.tier')}>
              {member.data.tier ? <Tag color="gold" data-testid="member-tier">{member.data.tier.name}</Tag> : '—'}
            </Descriptions.Item>
            <Descriptions.Item label={t('loyalty.member.joined')}>{format.date(member.data.joinedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.member.channel')}>{member.data.joinChannel ?? '—'}</Descriptions.Item>
          </Descriptions>
        ) : member.error?.code === 'not_found' ? (
          <Alert type="info" showIcon style={{ marginBottom: 16 }} message={t('loyalty.member.notMember')} />
        ) : member.error ? (
          <ErrorState error={member.error} onRetry={member.reload} />
        ) : null}
        <Loaded state={account} feature={t('loyalty.tabs.ledger')}>
          {(a) => (
            <Space size={48} wrap data-testid="points-account">
              <Statistic title={t('loyalty.points.balance')} value={format.number(a.balance)} data-testid="points-balance" />
              <Statistic title={t('loyalty.points.pending')} value={format.number(a.pending)} />
              <Statistic title={t('loyalty.points.debt')} value={format.number(a.debt)} valueStyle={a.debt > 0 ? { color: '#cf1322' } : undefined} />
              <Statistic title={t('loyalty.points.lifetime')} value={format.number(a.lifetimeEarned)} />
              <Statistic
                title={t('loyalty.points.expiringSoon')}
                value={format.number(a.expiringSoon.points)}
                suffix={a.expiringSoon.firstExpiresAt ? <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('loyalty.points.firstExpires', { date: format.date(a.expiringSoon.firstExpiresAt) })}</Typography.Text> : undefined}
              />
            </Space>
          )}
        </Loaded>
      </Card>

      <Card title={t('loyalty.ledger.entries')}>
        <Loaded state={entries} feature={t('loyalty.tabs.ledger')}>
          {() => (
            <>
              <Table<PointsEntry>
                size="small"
                rowKey="id"
                pagination={false}
                loading={entries.loading}
                dataSource={page}
                data-testid="ledger-entries"
                locale={{ emptyText: t('loyalty.ledger.noEntries') }}
                columns={[
                  { title: t('loyalty.ledger.time'), dataIndex: 'createdAt', width: 190, render: (v: string) => format.dateTime(v) },
                  { title: t('loyalty.ledger.kind'), dataIndex: 'kind', width: 110, render: (k: PointsEntry['kind']) => <Tag color={kindColor[k]}>{t(`loyalty.entryKinds.${k}`)}</Tag> },
                  {
                    title: t('loyalty.ledger.points'), dataIndex: 'points', width: 110, align: 'right',
                    render: (p: number) => <Typography.Text type={p < 0 ? 'danger' : 'success'}>{p > 0 ? '+' : ''}{format.number(p)}</Typography.Text>,
                  },
                  { title: t('loyalty.ledger.debtDelta'), dataIndex: 'debtDelta', width: 90, align: 'right', render: (d: number) => (d ? format.number(d) : '') },
                  { title: t('loyalty.ledger.reason'), dataIndex: 'reason' },
                  {
                    title: t('loyalty.ledger.source'), width: 240,
                    render: (_, e) => <span>{t(`loyalty.sources.${e.sourceType}`, { defaultValue: e.sourceType })}{e.sourceId ? <Typography.Text type="secondary"> · {e.sourceId}</Typography.Text> : null}</span>,
                  },
                ]}
              />
              <Space style={{ marginTop: 12 }}>
                <Button disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>{t('common.previous')}</Button>
                <Button disabled={!hasMore} onClick={() => setCursors((c) => [...c, page[page.length - 1]!.id])} data-testid="ledger-next">{t('common.next')}</Button>
                <Typography.Text type="secondary">{t('loyalty.ledger.page', { page: cursors.length + 1 })}</Typography.Text>
              </Space>
            </>
          )}
        </Loaded>
      </Card>

      <Card title={t('loyalty.ledger.coupons')}>
        <Loaded state={coupons} feature={t('loyalty.tabs.coupons')}>
          {(body) => (
            <Table<Coupon>
              size="small"
              rowKey="id"
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              dataSource={body.data}
              data-testid="member-coupons"
              locale={{ emptyText: t('loyalty.ledger.noCoupons') }}
              columns={[
                { title: t('loyalty.coupon.template'), dataIndex: 'templateId', render: (id: string) => refs.templateName(id) },
                { title: t('loyalty.coupon.code'), dataIndex: 'code', render: (c: string) => <Typography.Text code copyable>{c}</Typography.Text> },
                { title: t('loyalty.coupon.status'), dataIndex: 'status', render: (s: Coupon['status']) => <Tag color={couponStatusColor[s]}>{t(`loyalty.couponStatus.${s}`)}</Tag> },
                { title: t('loyalty.coupon.source'), dataIndex: 'source', render: (s: string) => t(`loyalty.couponSources.${s}`, { defaultValue: s }) },
                { title: t('loyalty.coupon.issuedAt'), dataIndex: 'issuedAt', render: (v: string) => format.dateTime(v) },
                { title: t('loyalty.coupon.validUntil'), dataIndex: 'validUntil', render: (v: string | null) => (v ? format.date(v) : t('loyalty.coupon.noEnd')) },
                { title: t('loyalty.coupon.order'), render: (_, c) => (c.orderId ? `${c.orderId} · −${format.money(Number(c.discountAmount ?? 0))}` : '') },
                ...(canWrite
                  ? [{
                      title: t('common.actions'),
                      render: (_: unknown, c: Coupon) =>
                        c.status === 'issued' ? (
                          <Popconfirm title={t('loyalty.coupon.voidConfirm')} onConfirm={async () => (await act(() => api(`/api/v1/loyalty/coupons/${c.id}/void`, { method: 'POST' }), 'loyalty.coupon.voided')) && coupons.reload()}>
                            <Button size="small" danger>{t('loyalty.coupon.void')}</Button>
                          </Popconfirm>
                        ) : null,
                    }]
                  : []),
              ]}
            />
          )}
        </Loaded>
      </Card>

      {member.data && (history.data?.data.length ?? 0) > 0 && (
        <Card title={t('loyalty.member.tierHistory')}>
          <Table
            size="small"
            rowKey={(r) => `${r.at}:${r.reason}`}
            pagination={false}
            dataSource={history.data!.data}
            columns={[
              { title: t('loyalty.ledger.time'), dataIndex: 'at', render: (v: string) => format.dateTime(v) },
              { title: t('loyalty.member.move'), render: (_, r) => `${refs.tierName(r.fromTier)} → ${refs.tierName(r.toTier)}` },
              { title: t('loyalty.ledger.reason'), dataIndex: 'reason', render: (r: string) => t(`loyalty.tierReasons.${r}`, { defaultValue: r }) },
              { title: t('loyalty.member.qualifying'), dataIndex: 'qualifying', render: (v: number) => format.number(Number(v)) },
            ]}
          />
        </Card>
      )}

      {adjusting && <AdjustModal profileId={profileId} onClose={(changed) => { setAdjusting(false); if (changed) refresh(); }} />}
      {issuing && <IssueModal profileId={profileId} onClose={(changed) => { setIssuing(false); if (changed) refresh(); }} />}
    </>
  );
}
