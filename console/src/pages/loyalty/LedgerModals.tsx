import { Form, Input, InputNumber, Modal, Select } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { idempotencyKey, useAction, useLoyaltyRefs } from './common';

/** The ledger's two writes: a manual points adjustment and issuing a coupon to the member (each applies once). */
export function AdjustModal({ profileId, onClose }: { profileId: number; onClose: (changed: boolean) => void }) {
  const { t } = useTranslation();
  const act = useAction();
  const [form] = Form.useForm<{ points: number; reason: string }>();
  const [key] = useState(() => idempotencyKey(`adjust:${profileId}`));
  const [busy, setBusy] = useState(false);
  return (
    <Modal open title={t('loyalty.ledger.adjustTitle')} okText={t('loyalty.ledger.adjust')} cancelText={t('common.cancel')} confirmLoading={busy} onCancel={() => onClose(false)} onOk={() => form.submit()}>
      <Form
        form={form}
        layout="vertical"
        onFinish={async (values) => {
          setBusy(true);
          const ok = await act(() => api('/api/v1/loyalty/points/adjust', { method: 'POST', body: { profileId, points: values.points, reason: values.reason.trim(), idempotencyKey: key } }), 'loyalty.ledger.adjusted', form);
          setBusy(false);
          if (ok) onClose(true);
        }}
      >
        <Form.Item name="points" label={t('loyalty.ledger.adjustPoints')} extra={t('loyalty.ledger.adjustHelp')} rules={[{ required: true, message: t('loyalty.ledger.pointsRequired') }, { validator: (_, v) => (v === 0 ? Promise.reject(new Error(t('loyalty.ledger.pointsRequired'))) : Promise.resolve()) }]}>
          <InputNumber precision={0} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="reason" label={t('loyalty.ledger.reason')} rules={[{ required: true, whitespace: true, max: 200, message: t('loyalty.ledger.reasonRequired') }]}>
          <Input placeholder={t('loyalty.ledger.reasonPlaceholder')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export function IssueModal({ profileId, onClose }: { profileId: number; onClose: (changed: boolean) => void }) {
  const { t } = useTranslation();
  const act = useAction();
  const { templates } = useLoyaltyRefs();
  const [form] = Form.useForm<{ templateId: string }>();
  const [key] = useState(() => idempotencyKey(`issue:${profileId}`));
  const [busy, setBusy] = useState(false);
  const options = (templates.data?.data ?? []).filter((tpl) => tpl.status === 'active').map((tpl) => ({ value: tpl.id, label: tpl.name }));
  return (
    <Modal open title={t('loyalty.ledger.issueTitle')} okText={t('loyalty.ledger.issueCoupon')} cancelText={t('common.cancel')} confirmLoading={busy} onCancel={() => onClose(false)} onOk={() => form.submit()}>
      <Form
        form={form}
        layout="vertical"
        onFinish={async (values) => {
          setBusy(true);
          const ok = await act(() => api('/api/v1/loyalty/coupons', { method: 'POST', body: { templateId: values.templateId, profileId, idempotencyKey: key } }), 'loyalty.ledger.issued', form);
          setBusy(false);
          if (ok) onClose(true);
        }}
      >
        <Form.Item name="templateId" label={t('loyalty.coupon.template')} rules={[{ required: true, message: t('loyalty.coupon.templateRequired') }]}>
          <Select options={options} showSearch optionFilterProp="label" loading={templates.loading} notFoundContent={t('loyalty.coupon.noActiveTemplates')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
