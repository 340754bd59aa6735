import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Input, Progress, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loaded } from '../../components/States';
import { useFormat } from '../../format';
import { navigate } from '../../router';
import { useSession } from '../../session';
import { EditTemplateModal, NewTemplateModal } from './CouponForm';
import { useLoyaltyRefs, type CouponTemplate } from './common';

type Format = ReturnType<typeof useFormat>;
type T = (key: string, opts?: Record<string, unknown>) => string;

/** "满 ¥300 减 ¥50", "¥20 off", "15% off, at most ¥50"… */
export function offerText(t: T, format: Format, tpl: CouponTemplate): string {
  const amount = format.money(Number(tpl.amount));
  const min = Number(tpl.threshold) > 0 ? t('loyalty.offer.minSpend', { amount: format.money(Number(tpl.threshold)) }) : '';
  switch (tpl.kind) {
    case 'fixed': return t('loyalty.offer.fixed', { amount }) + min;
    case 'threshold': return t('loyalty.offer.threshold', { threshold: format.money(Number(tpl.threshold)), amount });
    case 'percentage': return t('loyalty.offer.percentage', { percent: Number(tpl.percentOff) }) + (tpl.maxDiscount != null ? t('loyalty.offer.cap', { amount: format.money(Number(tpl.maxDiscount)) }) : '') + min;
    case 'shipping': return (Number(tpl.amount) > 0 ? t('loyalty.offer.shippingUpTo', { amount }) : t('loyalty.offer.shipping')) + min;
    case 'gift': return t('loyalty.offer.gift', { sku: tpl.giftSku ?? '' }) + min;
  }
}

export function validityText(t: T, format: Format, tpl: CouponTemplate): string {
  const parts: string[] = [];
  if (tpl.validFrom || tpl.validUntil) parts.push(`${format.date(tpl.validFrom)} – ${format.date(tpl.validUntil)}`);
  if (tpl.validDays) parts.push(t('loyalty.coupon.daysFromReceipt', { days: tpl.validDays }));
  return parts.length ? parts.join(' · ') : t('loyalty.coupon.noEnd');
}

/** "Only categories: skincare" for each restricted part of the scope. */
function scopeParts(t: T, tpl: CouponTemplate): string[] {
  return (['skus', 'categories', 'stores', 'channels'] as const)
    .filter((k) => (tpl.scope[k]?.length ?? 0) > 0)
    .map((k) => `${t(`loyalty.coupon.${k}`)}: ${tpl.scope[k]!.join(', ')}`);
}

const statusColor = { active: 'green', paused: 'orange', archived: 'default' } as const;

/** Coupon templates: list (searched and filtered here: the API answers the whole list), create, edit. */
export function CouponsTab() {
  const { t } = useTranslation();
  const format = useFormat();
  const { canWrite } = useSession();
  const { templates, tiers, tierName, templateName } = useLoyaltyRefs();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<CouponTemplate>();
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<string>();

  return (
    <Card
      title={t('loyalty.coupon.templates')}
      extra={canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>{t('loyalty.coupon.new')}</Button>}
    >
      <Space style={{ marginBottom: 16 }} wrap>
        <Input.Search aria-label={t('loyalty.coupon.search')} placeholder={t('loyalty.coupon.search')} allowClear onSearch={(v) => setQ(v.trim().toLowerCase())} style={{ width: 260 }} />
        <Select
          aria-label={t('loyalty.coupon.status')}
          placeholder={t('loyalty.coupon.allStatuses')}
          allowClear
          style={{ width: 160 }}
          value={status}
          onChange={setStatus}
          options={(['active', 'paused', 'archived'] as const).map((s) => ({ value: s, label: t(`loyalty.templateStatus.${s}`) }))}
        />
      </Space>
      <Loaded state={templates} feature={t('loyalty.tabs.coupons')}>
        {(body) => (
          <Table<CouponTemplate>
            rowKey="id"
            size="small"
            data-testid="coupon-templates"
            dataSource={body.data.filter((tpl) => (!status || tpl.status === status) && (!q || tpl.name.toLowerCase().includes(q) || tpl.id.toLowerCase().includes(q)))}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            locale={{ emptyText: t('loyalty.coupon.noTemplates') }}
            columns={[
              { title: t('common.name'), dataIndex: 'name', width: 180, sorter: (a, b) => a.name.localeCompare(b.name), render: (name: string, tpl) => <Space direction="vertical" size={0}><span>{name}</span><Typography.Text type="secondary" style={{ fontSize: 12 }}>{tpl.id}</Typography.Text></Space> },
              { title: t('loyalty.coupon.kind'), dataIndex: 'kind', render: (k: string) => <Tag>{t(`loyalty.couponKinds.${k}`)}</Tag> },
              {
                title: t('loyalty.coupon.offer'),
                render: (_, tpl) => (
                  <Space direction="vertical" size={0}>
                    <span>{offerText(t, format, tpl)}</span>
                    {scopeParts(t, tpl).map((part) => <Typography.Text key={part} type="secondary" style={{ fontSize: 12 }}>{part}</Typography.Text>)}
                  </Space>
                ),
              },
              { title: t('loyalty.coupon.validity'), render: (_, tpl) => validityText(t, format, tpl) },
              {
                title: t('loyalty.coupon.stock'), width: 170, sorter: (a, b) => a.issuedCount - b.issuedCount,
                render: (_, tpl) =>
                  tpl.totalStock == null ? (
                    t('loyalty.coupon.issuedUnlimited', { issued: format.number(tpl.issuedCount) })
                  ) : (
                    <Space direction="vertical" size={0} style={{ width: '100%' }}>
                      <span>{format.number(tpl.issuedCount)} / {format.number(tpl.totalStock)}</span>
                      <Progress percent={tpl.totalStock ? Math.round((tpl.issuedCount / tpl.totalStock) * 100) : 100} size="small" showInfo={false} />
                    </Space>
                  ),
              },
              { title: t('loyalty.coupon.limits'), render: (_, tpl) => (
                <Space direction="vertical" size={0}>
                  <span>{tpl.perMemberLimit ? t('loyalty.coupon.perMember', { n: tpl.perMemberLimit }) : t('loyalty.coupon.noPerMember')}</span>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {tpl.stacking === 'exclusive' ? t('loyalty.stacking.exclusive') : tpl.combinableWith.length ? t('loyalty.coupon.combinableWithList', { names: tpl.combinableWith.map(templateName).join(', ') }) : t('loyalty.stacking.combinable')}
                  </Typography.Text>
                </Space>
              ) },
              { title: t('loyalty.coupon.tiers'), dataIndex: 'tiers', render: (ids: string[]) => (ids.length ? ids.map((id) => <Tag key={id} color="gold">{tierName(id)}</Tag>) : t('loyalty.coupon.anyone')) },
              { title: t('loyalty.coupon.status'), dataIndex: 'status', render: (s: CouponTemplate['status']) => <Tag color={statusColor[s]}>{t(`loyalty.templateStatus.${s}`)}</Tag> },
              {
                title: t('common.actions'),
                render: (_, tpl) => (
                  <Space>
                    {canWrite && <Button size="small" onClick={() => setEditing(tpl)}>{t('loyalty.edit')}</Button>}
                    {canWrite && tpl.status === 'active' && <Button size="small" onClick={() => navigate(`/loyalty/campaigns?template=${encodeURIComponent(tpl.id)}`)}>{t('loyalty.campaign.issueToSegment')}</Button>}
                  </Space>
                ),
              },
            ]}
          />
        )}
      </Loaded>
      {creating && (
        <NewTemplateModal
          templates={templates.data?.data ?? []}
          tiers={tiers.data?.data ?? []}
          onClose={(created) => {
            setCreating(false);
            if (created) templates.reload();
          }}
        />
      )}
      {editing && (
        <EditTemplateModal
          template={editing}
          templates={templates.data?.data ?? []}
          tiers={tiers.data?.data ?? []}
          onClose={(saved) => {
            setEditing(undefined);
            if (saved) templates.reload();
          }}
        />
      )}
    </Card>
  );
}
