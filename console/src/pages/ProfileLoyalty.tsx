import { Card, Descriptions, Space, Tag, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api';
import { useFormat } from '../format';
import { Link } from '../router';
import { useSession } from '../session';
import { couponStatusColor, useLoyaltyRefs, type Coupon, type Member, type PointsAccount } from './loyalty/common';

/**
 * Points, tier and coupons on the 360° profile, from the loyalty API. Left out for guides (the loyalty API is for
 * staff) and when the loyalty module is not on the server.
 */
export function ProfileLoyalty({ profileId }: { profileId: number }) {
  const { me } = useSession();
  if (!me || me.role === 'guide') return null;
  return <LoyaltyCard profileId={profileId} />;
}

function LoyaltyCard({ profileId }: { profileId: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const member = useApi<Member>(`/api/v1/loyalty/members/${profileId}`);
  const account = useApi<PointsAccount>(`/api/v1/loyalty/points/${profileId}`);
  const coupons = useApi<{ data: Coupon[] }>('/api/v1/loyalty/coupons', { profileId, limit: 20 });
  const { templateName } = useLoyaltyRefs();
  if (!account.data && !member.data && !coupons.data) return null;
  const a = account.data;
  const held = coupons.data?.data ?? [];
  return (
    <Card
      title={t('loyalty.profile.title')}
      size="small"
      style={{ marginTop: 16 }}
      data-testid="profile-loyalty"
      extra={<Link to={`/loyalty/ledger?profile=${profileId}`}>{t('loyalty.profile.openLedger')}</Link>}
    >
      <Descriptions column={1} size="small">
        <Descriptions.Item label={t('loyalty.member.tier')}>
          {member.data ? (
            <Space size={4} wrap>
              {member.data.tier ? <Tag color="gold" data-testid="profile-tier">{member.data.tier.name}</Tag> : <Typography.Text type="secondary">—</Typography.Text>}
              <Typography.Text type="secondary">{t('loyalty.profile.memberSince', { no: member.data.memberNo, date: format.date(member.data.joinedAt) })}</Typography.Text>
            </Space>
          ) : (
            <Typography.Text type="secondary">{t('loyalty.member.notMember')}</Typography.Text>
          )}
        </Descriptions.Item>
        {a && (
          <Descriptions.Item label={t('loyalty.points.balance')}>
            <Space size={4} wrap>
              <Typography.Text strong data-testid="profile-points">{format.number(a.balance)}</Typography.Text>
              {a.pending > 0 && <Typography.Text type="secondary">· {t('loyalty.profile.pending', { points: format.number(a.pending) })}</Typography.Text>}
              {a.debt > 0 && <Typography.Text type="danger">· {t('loyalty.profile.debt', { points: format.number(a.debt) })}</Typography.Text>}
              {a.expiringSoon.points > 0 && (
                <Typography.Text type="warning">· {t('loyalty.profile.expiring', { points: format.number(a.expiringSoon.points), date: format.date(a.expiringSoon.firstExpiresAt) })}</Typography.Text>
              )}
            </Space>
          </Descriptions.Item>
        )}
        {coupons.data && (
          <Descriptions.Item label={t('loyalty.profile.coupons')}>
            {held.length === 0 ? (
              <Typography.Text type="secondary">{t('loyalty.ledger.noCoupons')}</Typography.Text>
            ) : (
              <Space size={[4, 4]} wrap data-testid="profile-coupons">
                {held.map((c) => (
                  <Tooltip key={c.id} title={`${c.code} · ${t('loyalty.coupon.validUntil')} ${c.validUntil ? format.date(c.validUntil) : t('loyalty.coupon.noEnd')}`}>
                    <Tag color={couponStatusColor[c.status]}>{templateName(c.templateId)} · {t(`loyalty.couponStatus.${c.status}`)}</Tag>
                  </Tooltip>
                ))}
              </Space>
            )}
          </Descriptions.Item>
        )}
      </Descriptions>
    </Card>
  );
}
