import { Alert, Col, DatePicker, Form, Input, InputNumber, Modal, Radio, Row, Select, Switch, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { useFormat } from '../../format';
import { COUPON_KINDS, useAction, withoutNulls, type CouponKind, type CouponTemplate, type Tier } from './common';

interface TemplateForm {
  name: string;
  kind: CouponKind;
  amount?: number;
  percentOff?: number;
  maxDiscount?: number;
  threshold?: number;
  giftSku?: string;
  scope: { skus?: string[]; categories?: string[]; stores?: string[]; channels?: string[] };
  validRange?: [Dayjs | null, Dayjs | null] | null;
  validDays?: number;
  totalStock?: number;
  perMemberLimit?: number;
  stacking: 'exclusive' | 'combinable';
  combinableWith: string[];
  tiers: string[];
  codeMode: 'unique' | 'shared';
  sharedCode?: string;
  returnOnRefund: boolean;
  status: CouponTemplate['status'];
}

const tagsSelect = (placeholder: string, disabled: boolean) => <Select mode="tags" tokenSeparators={[',', ' ']} placeholder={placeholder} open={false} disabled={disabled} />;

/** Validity dates are days of the workspace's calendar (whatever the browser's zone): shown and sent as such. */
const initialOf = (tpl: CouponTemplate | undefined, calendarDay: (iso: string) => string): Partial<TemplateForm> =>
  !tpl
    ? { kind: 'fixed', scope: {}, stacking: 'exclusive', combinableWith: [], tiers: [], codeMode: 'unique', returnOnRefund: false, status: 'active' }
    : {
        name: tpl.name, kind: tpl.kind, amount: Number(tpl.amount), percentOff: Number(tpl.percentOff), maxDiscount: tpl.maxDiscount != null ? Number(tpl.maxDiscount) : undefined,
        threshold: Number(tpl.threshold), giftSku: tpl.giftSku ?? undefined, scope: tpl.scope,
        validRange: tpl.validFrom || tpl.validUntil ? [tpl.validFrom ? dayjs(calendarDay(tpl.validFrom)) : null, tpl.validUntil ? dayjs(calendarDay(tpl.validUntil)) : null] : null,
        validDays: tpl.validDays ?? undefined, totalStock: tpl.totalStock ?? undefined, perMemberLimit: tpl.perMemberLimit ?? undefined,
        stacking: tpl.stacking, combinableWith: tpl.combinableWith, tiers: tpl.tiers, codeMode: tpl.codeMode, sharedCode: tpl.sharedCode ?? undefined,
        returnOnRefund: tpl.returnOnRefund, status: tpl.status,
      };

/** The offer and where it applies: what a holder's coupon is worth (fixed once coupons are issued). */
function termsOf(v: TemplateForm) {
  return {
    kind: v.kind,
    amount: v.amount ?? 0,
    percentOff: v.percentOff ?? 0,
    maxDiscount: v.kind === 'percentage' ? (v.maxDiscount ?? null) : null,
    threshold: v.threshold ?? 0,
    giftSku: v.kind === 'gift' ? (v.giftSku?.trim() || null) : null,
    scope: Object.fromEntries(Object.entries(v.scope ?? {}).filter(([, list]) => Array.isArray(list) && list.length > 0)),
    stacking: v.stacking,
    combinableWith: v.stacking === 'combinable' ? (v.combinableWith ?? []) : [],
    tiers: v.tiers ?? [],
    codeMode: v.codeMode,
    sharedCode: v.codeMode === 'shared' ? (v.sharedCode ?? null) : null,
  };
}

const rangeOf = (v: TemplateForm) => {
  const [from, until] = v.validRange ?? [null, null];
  // The server reads a date alone as the workspace's day: validFrom from its start, validUntil to its end.
  return { validFrom: from ? from.format('YYYY-MM-DD') : null, validUntil: until ? until.format('YYYY-MM-DD') : null };
};

/** A new coupon template: type and value, scope, stacking and codes, tiers; validity, stock and limits. */
export function NewTemplateModal(props: { templates: CouponTemplate[]; tiers: Tier[]; onClose: (created?: CouponTemplate) => void }) {
  return <TemplateModal {...props} />;
}

/**
 * Every field the API lets change (PATCH …/coupon-templates/:id). Once coupons are issued, the terms their holders
 * hold (offer, scope, stacking, tiers, codes) are shown read-only with the reason; validity, stock (not below the
 * number issued), per-member limit, refund return, name and status still change.
 */
export function EditTemplateModal({ template, ...props }: { template: CouponTemplate; templates: CouponTemplate[]; tiers: Tier[]; onClose: (saved?: CouponTemplate) => void }) {
  return <TemplateModal template={template} {...props} />;
}

function TemplateModal({ template, templates, tiers, onClose }: { template?: CouponTemplate; templates: CouponTemplate[]; tiers: Tier[]; onClose: (saved?: CouponTemplate) => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const act = useAction();
  const [form] = Form.useForm<TemplateForm>();
  const [busy, setBusy] = useState(false);
  const kind = Form.useWatch('kind', form) ?? template?.kind ?? 'fixed';
  const stacking = Form.useWatch('stacking', form) ?? template?.stacking;
  const codeMode = Form.useWatch('codeMode', form) ?? template?.codeMode;
  const locked = (template?.issuedCount ?? 0) > 0;

  const submit = async (v: TemplateForm) => {
    let saved: CouponTemplate | undefined;
    setBusy(true);
    if (!template) {
      const body = withoutNulls({
        name: v.name.trim(), ...termsOf(v), ...rangeOf(v), validDays: v.validDays, totalStock: v.totalStock, perMemberLimit: v.perMemberLimit, returnOnRefund: v.returnOnRefund,
      });
      saved = await act(() => api<CouponTemplate>('/api/v1/loyalty/coupon-templates', { method: 'POST', body }), 'loyalty.coupon.created', form);
    } else {
      // null clears a field; dates go only when changed (an API-made template may hold times other than midnight).
      const body = {
        name: v.name.trim(), status: v.status, validDays: v.validDays ?? null, totalStock: v.totalStock ?? null, perMemberLimit: v.perMemberLimit ?? null,
        returnOnRefund: v.returnOnRefund, ...(form.isFieldTouched('validRange') ? rangeOf(v) : {}), ...(locked ? {} : termsOf(v)),
      };
      saved = await act(() => api<CouponTemplate>(`/api/v1/loyalty/coupon-templates/${encodeURIComponent(template.id)}`, { method: 'PATCH', body }), 'loyalty.saved', form);
    }
    setBusy(false);
    if (saved) onClose(saved);
  };

  return (
    <Modal
      open width={760} title={template ? t('loyalty.coupon.editTitle', { name: template.name }) : t('loyalty.coupon.newTitle')}
      okText={template ? t('common.save') : t('common.create')} cancelText={t('common.cancel')} confirmLoading={busy}
      onCancel={() => onClose()} onOk={() => form.submit()} data-testid="template-modal"
    >
      {locked && <Alert type="info" showIcon style={{ marginBottom: 16 }} data-testid="terms-locked" message={t('loyalty.coupon.termsLocked', { issued: template!.issuedCount })} />}
      <Form<TemplateForm> form={form} layout="vertical" onFinish={submit} initialValues={initialOf(template, format.calendarDay)}>
        <Row gutter={16}>
          <Col span={template ? 9 : 14}>
            <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, max: 200, message: t('loyalty.coupon.nameRequired') }]}>
              <Input placeholder={t('loyalty.coupon.namePlaceholder')} />
            </Form.Item>
          </Col>
          {template && (
            <Col span={5}>
              <Form.Item name="status" label={t('loyalty.coupon.status')}>
                <Select options={(['active', 'paused', 'archived'] as const).map((s) => ({ value: s, label: t(`loyalty.templateStatus.${s}`) }))} />
              </Form.Item>
            </Col>
          )}
          <Col span={10}>
            <Form.Item name="kind" label={t('loyalty.coupon.kind')}>
              <Select disabled={locked} options={COUPON_KINDS.map((k) => ({ value: k, label: t(`loyalty.couponKinds.${k}`) }))} />
            </Form.Item>
          </Col>
          {(kind === 'fixed' || kind === 'threshold' || kind === 'shipping') && (
            <Col span={8}>
              <Form.Item name="amount" label={t(kind === 'shipping' ? 'loyalty.coupon.shippingCap' : 'loyalty.coupon.amount')} rules={kind === 'shipping' ? [] : [{ required: true, message: t('loyalty.coupon.amountRequired') }]}>
                <InputNumber disabled={locked} min={0} precision={2} prefix="¥" style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          )}
          {kind === 'percentage' && (
            <>
              <Col span={8}>
                <Form.Item name="percentOff" label={t('loyalty.coupon.percentOff')} extra={t('loyalty.coupon.percentHelp')} rules={[{ required: true, message: t('loyalty.coupon.percentRequired') }]}>
                  <InputNumber disabled={locked} min={1} max={100} addonAfter="%" style={{ width: '100%' }} />
                </Form.Item>
              </Col>
              <Col span={8}>
                <Form.Item name="maxDiscount" label={t('loyalty.coupon.maxDiscount')}>
                  <InputNumber disabled={locked} min={0} precision={2} prefix="¥" style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            </>
          )}
          {kind === 'gift' && (
            <Col span={8}>
              <Form.Item name="giftSku" label={t('loyalty.coupon.giftSku')} rules={[{ required: true, message: t('loyalty.coupon.giftRequired') }]}>
                <Input disabled={locked} />
              </Form.Item>
            </Col>
          )}
          <Col span={8}>
            <Form.Item name="threshold" label={t('loyalty.coupon.threshold')} extra={t('loyalty.coupon.thresholdHelp')} rules={kind === 'threshold' ? [{ required: true, message: t('loyalty.coupon.thresholdRequired') }] : []}>
              <InputNumber disabled={locked} min={0} precision={2} prefix="¥" style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>

        <Typography.Title level={5}>{t('loyalty.coupon.scope')}</Typography.Title>
        <Typography.Paragraph type="secondary">{t('loyalty.coupon.scopeHelp')}</Typography.Paragraph>
        <Row gutter={16}>
          <Col span={12}><Form.Item name={['scope', 'skus']} label={t('loyalty.coupon.skus')}>{tagsSelect(t('loyalty.tagsPlaceholder'), locked)}</Form.Item></Col>
          <Col span={12}><Form.Item name={['scope', 'categories']} label={t('loyalty.coupon.categories')}>{tagsSelect(t('loyalty.tagsPlaceholder'), locked)}</Form.Item></Col>
          <Col span={12}><Form.Item name={['scope', 'stores']} label={t('loyalty.coupon.stores')}>{tagsSelect(t('loyalty.tagsPlaceholder'), locked)}</Form.Item></Col>
          <Col span={12}><Form.Item name={['scope', 'channels']} label={t('loyalty.coupon.channels')}>{tagsSelect(t('loyalty.tagsPlaceholder'), locked)}</Form.Item></Col>
        </Row>

        <Typography.Title level={5}>{t('loyalty.coupon.validityAndStock')}</Typography.Title>
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="validRange" label={t('loyalty.coupon.validRange')} extra={locked ? t('loyalty.coupon.validityIssuedHelp') : undefined}>
              <DatePicker.RangePicker allowEmpty={[true, true]} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="validDays" label={t('loyalty.coupon.validDays')} extra={t('loyalty.coupon.validDaysHelp')}>
              <InputNumber min={1} addonAfter={t('loyalty.units.days')} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="totalStock" label={t('loyalty.coupon.totalStock')} extra={template ? t('loyalty.coupon.stockHelp', { issued: template.issuedCount }) : t('loyalty.coupon.unlimitedHelp')}>
              <InputNumber min={template?.issuedCount ?? 0} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="perMemberLimit" label={t('loyalty.coupon.perMemberLimit')} extra={t('loyalty.coupon.unlimitedHelp')}>
              <InputNumber min={1} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="tiers" label={t('loyalty.coupon.tiers')} extra={t('loyalty.coupon.tiersHelp')}>
              <Select disabled={locked} mode="multiple" options={tiers.map((tier) => ({ value: tier.id, label: tier.name }))} />
            </Form.Item>
          </Col>
        </Row>

        <Typography.Title level={5}>{t('loyalty.coupon.stackingAndCodes')}</Typography.Title>
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="stacking" label={t('loyalty.coupon.stacking')}>
              <Radio.Group disabled={locked} options={(['exclusive', 'combinable'] as const).map((v) => ({ value: v, label: t(`loyalty.stacking.${v}`) }))} />
            </Form.Item>
          </Col>
          {stacking === 'combinable' && (
            <Col span={12}>
              <Form.Item name="combinableWith" label={t('loyalty.coupon.combinableWith')} extra={t('loyalty.coupon.combinableHelp')}>
                <Select disabled={locked} mode="multiple" options={templates.filter((tpl) => tpl.id !== template?.id).map((tpl) => ({ value: tpl.id, label: tpl.name }))} />
              </Form.Item>
            </Col>
          )}
          <Col span={12}>
            <Form.Item name="codeMode" label={t('loyalty.coupon.codeMode')}>
              <Radio.Group disabled={locked} options={(['unique', 'shared'] as const).map((v) => ({ value: v, label: t(`loyalty.codeModes.${v}`) }))} />
            </Form.Item>
          </Col>
          {codeMode === 'shared' && (
            <Col span={12}>
              <Form.Item name="sharedCode" label={t('loyalty.coupon.sharedCode')} rules={[{ required: true, pattern: /^[A-Za-z0-9_-]{4,64}$/, message: t('loyalty.coupon.sharedCodeRule') }]}>
                <Input disabled={locked} placeholder="SPRING2026" />
              </Form.Item>
            </Col>
          )}
          <Col span={12}>
            <Form.Item name="returnOnRefund" label={t('loyalty.coupon.returnOnRefund')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Col>
        </Row>
      </Form>
    </Modal>
  );
}
