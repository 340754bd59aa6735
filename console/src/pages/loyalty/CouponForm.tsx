import { Alert, Col, DatePicker, Form, Input, InputNumber, Modal, Radio, Row, Select, Switch, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { COUPON_KINDS, useAction, withoutNulls, type CouponKind, type CouponTemplate, type Tier } from './common';

interface NewTemplateForm {
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
}

const tagsSelect = (placeholder: string) => <Select mode="tags" tokenSeparators={[',', ' ']} placeholder={placeholder} open={false} />;

/** A new coupon template: type and value, scope, validity, stock and limits, stacking, tier restriction. */
export function NewTemplateModal({ templates, tiers, onClose }: { templates: CouponTemplate[]; tiers: Tier[]; onClose: (created?: CouponTemplate) => void }) {
  const { t } = useTranslation();
  const act = useAction();
  const [form] = Form.useForm<NewTemplateForm>();
  const [busy, setBusy] = useState(false);
  const kind = Form.useWatch('kind', form) ?? 'fixed';
  const stacking = Form.useWatch('stacking', form);
  const codeMode = Form.useWatch('codeMode', form);

  const submit = async (v: NewTemplateForm) => {
    const [from, until] = v.validRange ?? [null, null];
    const body = withoutNulls({
      name: v.name.trim(),
      kind: v.kind,
      amount: v.amount,
      percentOff: v.percentOff,
      maxDiscount: v.maxDiscount,
      threshold: v.threshold,
      giftSku: v.giftSku,
      scope: withoutNulls(Object.fromEntries(Object.entries(v.scope ?? {}).filter(([, list]) => Array.isArray(list) && list.length > 0))),
      validFrom: from ? from.startOf('day').toISOString() : undefined,
      validUntil: until ? until.endOf('day').toISOString() : undefined,
      validDays: v.validDays,
      totalStock: v.totalStock,
      perMemberLimit: v.perMemberLimit,
      stacking: v.stacking,
      combinableWith: v.stacking === 'combinable' ? (v.combinableWith ?? []) : [],
      tiers: v.tiers ?? [],
      codeMode: v.codeMode,
      sharedCode: v.codeMode === 'shared' ? v.sharedCode : undefined,
      returnOnRefund: v.returnOnRefund,
    });
    setBusy(true);
    const created = await act(() => api<CouponTemplate>('/api/v1/loyalty/coupon-templates', { method: 'POST', body }), 'loyalty.coupon.created', form);
    setBusy(false);
    if (created) onClose(created);
  };

  return (
    <Modal open width={760} title={t('loyalty.coupon.newTitle')} okText={t('common.create')} cancelText={t('common.cancel')} confirmLoading={busy} onCancel={() => onClose()} onOk={() => form.submit()} data-testid="template-modal">
      <Form<NewTemplateForm>
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{ kind: 'fixed', scope: {}, stacking: 'exclusive', combinableWith: [], tiers: [], codeMode: 'unique', returnOnRefund: false }}
      >
        <Row gutter={16}>
          <Col span={14}>
            <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, max: 200, message: t('loyalty.coupon.nameRequired') }]}>
              <Input placeholder={t('loyalty.coupon.namePlaceholder')} />
            </Form.Item>
          </Col>
          <Col span={10}>
            <Form.Item name="kind" label={t('loyalty.coupon.kind')}>
              <Select options={COUPON_KINDS.map((k) => ({ value: k, label: t(`loyalty.couponKinds.${k}`) }))} />
            </Form.Item>
          </Col>
          {(kind === 'fixed' || kind === 'threshold' || kind === 'shipping') && (
            <Col span={8}>
              <Form.Item name="amount" label={t(kind === 'shipping' ? 'loyalty.coupon.shippingCap' : 'loyalty.coupon.amount')} rules={kind === 'shipping' ? [] : [{ required: true, message: t('loyalty.coupon.amountRequired') }]}>
                <InputNumber min={0} precision={2} prefix="¥" style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          )}
          {kind === 'percentage' && (
            <>
              <Col span={8}>
                <Form.Item name="percentOff" label={t('loyalty.coupon.percentOff')} extra={t('loyalty.coupon.percentHelp')} rules={[{ required: true, message: t('loyalty.coupon.percentRequired') }]}>
                  <InputNumber min={1} max={100} addonAfter="%" style={{ width: '100%' }} />
                </Form.Item>
              </Col>
              <Col span={8}>
                <Form.Item name="maxDiscount" label={t('loyalty.coupon.maxDiscount')}>
                  <InputNumber min={0} precision={2} prefix="¥" style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            </>
          )}
          {kind === 'gift' && (
            <Col span={8}>
              <Form.Item name="giftSku" label={t('loyalty.coupon.giftSku')} rules={[{ required: true, message: t('loyalty.coupon.giftRequired') }]}>
                <Input />
              </Form.Item>
            </Col>
          )}
          <Col span={8}>
            <Form.Item name="threshold" label={t('loyalty.coupon.threshold')} extra={t('loyalty.coupon.thresholdHelp')} rules={kind === 'threshold' ? [{ required: true, message: t('loyalty.coupon.thresholdRequired') }] : []}>
              <InputNumber min={0} precision={2} prefix="¥" style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>

        <Typography.Title level={5}>{t('loyalty.coupon.scope')}</Typography.Title>
        <Typography.Paragraph type="secondary">{t('loyalty.coupon.scopeHelp')}</Typography.Paragraph>
        <Row gutter={16}>
          <Col span={12}><Form.Item name={['scope', 'skus']} label={t('loyalty.coupon.skus')}>{tagsSelect(t('loyalty.tagsPlaceholder'))}</Form.Item></Col>
          <Col span={12}><Form.Item name={['scope', 'categories']} label={t('loyalty.coupon.categories')}>{tagsSelect(t('loyalty.tagsPlaceholder'))}</Form.Item></Col>
          <Col span={12}><Form.Item name={['scope', 'stores']} label={t('loyalty.coupon.stores')}>{tagsSelect(t('loyalty.tagsPlaceholder'))}</Form.Item></Col>
          <Col span={12}><Form.Item name={['scope', 'channels']} label={t('loyalty.coupon.channels')}>{tagsSelect(t('loyalty.tagsPlaceholder'))}</Form.Item></Col>
        </Row>

        <Typography.Title level={5}>{t('loyalty.coupon.validityAndStock')}</Typography.Title>
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="validRange" label={t('loyalty.coupon.validRange')}>
              <DatePicker.RangePicker allowEmpty={[true, true]} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="validDays" label={t('loyalty.coupon.validDays')} extra={t('loyalty.coupon.validDaysHelp')}>
              <InputNumber min={1} addonAfter={t('loyalty.units.days')} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="totalStock" label={t('loyalty.coupon.totalStock')} extra={t('loyalty.coupon.unlimitedHelp')}>
              <InputNumber min={0} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="perMemberLimit" label={t('loyalty.coupon.perMemberLimit')} extra={t('loyalty.coupon.unlimitedHelp')}>
              <InputNumber min={1} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="tiers" label={t('loyalty.coupon.tiers')} extra={t('loyalty.coupon.tiersHelp')}>
              <Select mode="multiple" options={tiers.map((tier) => ({ value: tier.id, label: tier.name }))} />
            </Form.Item>
          </Col>
        </Row>

        <Typography.Title level={5}>{t('loyalty.coupon.stackingAndCodes')}</Typography.Title>
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="stacking" label={t('loyalty.coupon.stacking')}>
              <Radio.Group options={(['exclusive', 'combinable'] as const).map((v) => ({ value: v, label: t(`loyalty.stacking.${v}`) }))} />
            </Form.Item>
          </Col>
          {stacking === 'combinable' && (
            <Col span={12}>
              <Form.Item name="combinableWith" label={t('loyalty.coupon.combinableWith')} extra={t('loyalty.coupon.combinableHelp')}>
                <Select mode="multiple" options={templates.map((tpl) => ({ value: tpl.id, label: tpl.name }))} />
              </Form.Item>
            </Col>
          )}
          <Col span={12}>
            <Form.Item name="codeMode" label={t('loyalty.coupon.codeMode')}>
              <Radio.Group options={(['unique', 'shared'] as const).map((v) => ({ value: v, label: t(`loyalty.codeModes.${v}`) }))} />
            </Form.Item>
          </Col>
          {codeMode === 'shared' && (
            <Col span={12}>
              <Form.Item name="sharedCode" label={t('loyalty.coupon.sharedCode')} rules={[{ required: true, pattern: /^[A-Za-z0-9_-]{4,64}$/, message: t('loyalty.coupon.sharedCodeRule') }]}>
                <Input placeholder="SPRING2026" />
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

/** What can change on a template once created: its name, status and stock (the API keeps the rest fixed). */
export function EditTemplateModal({ template, onClose }: { template: CouponTemplate; onClose: (changed: boolean) => void }) {
  const { t } = useTranslation();
  const act = useAction();
  const [form] = Form.useForm<{ name: string; status: CouponTemplate['status']; totalStock?: number | null }>();
  const [busy, setBusy] = useState(false);
  return (
    <Modal open title={t('loyalty.coupon.editTitle', { name: template.name })} okText={t('common.save')} cancelText={t('common.cancel')} confirmLoading={busy} onCancel={() => onClose(false)} onOk={() => form.submit()}>
      <Alert type="info" showIcon style={{ marginBottom: 16 }} message={t('loyalty.coupon.editNote')} />
      <Form
        form={form}
        layout="vertical"
        initialValues={{ name: template.name, status: template.status, totalStock: template.totalStock }}
        onFinish={async (v) => {
          setBusy(true);
          const ok = await act(
            () => api(`/api/v1/loyalty/coupon-templates/${encodeURIComponent(template.id)}`, { method: 'PATCH', body: { name: v.name.trim(), status: v.status, totalStock: v.totalStock ?? null } }),
            'loyalty.saved',
            form,
          );
          setBusy(false);
          if (ok) onClose(true);
        }}
      >
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, message: t('loyalty.coupon.nameRequired') }]}>
          <Input />
        </Form.Item>
        <Form.Item name="status" label={t('loyalty.coupon.status')}>
          <Select options={(['active', 'paused', 'archived'] as const).map((s) => ({ value: s, label: t(`loyalty.templateStatus.${s}`) }))} />
        </Form.Item>
        <Form.Item name="totalStock" label={t('loyalty.coupon.totalStock')} extra={t('loyalty.coupon.stockHelp', { issued: template.issuedCount })}>
          <InputNumber min={template.issuedCount} precision={0} style={{ width: '100%' }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
