import { PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, Form, Input, InputNumber, Modal, Radio, Row, Select, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, useApi } from '../../api';
import { Loaded } from '../../components/States';
import { useFormat } from '../../format';
import { useSession } from '../../session';
import { useAction, useLoyaltyRefs, withoutNulls, type MallItem } from './common';

/** Points-mall items (coupons or goods) with points price, stock, per-member limit and tier restriction. */
export function MallTab() {
  const { t } = useTranslation();
  const format = useFormat();
  const { canWrite } = useSession();
  const items = useApi<{ data: MallItem[] }>('/api/v1/loyalty/mall/items');
  const refs = useLoyaltyRefs();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<MallItem>();
  return (
    <Card title={t('loyalty.mall.title')} extra={canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>{t('loyalty.mall.new')}</Button>}>
      <Alert type="info" showIcon style={{ marginBottom: 16 }} message={t('loyalty.mall.note')} />
      <Loaded state={items} feature={t('loyalty.tabs.mall')}>
        {(body) => (
          <Table<MallItem>
            rowKey="id"
            size="small"
            data-testid="mall-items"
            dataSource={body.data}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            locale={{ emptyText: t('loyalty.mall.empty') }}
            columns={[
              { title: t('common.name'), dataIndex: 'name', sorter: (a, b) => a.name.localeCompare(b.name) },
              { title: t('loyalty.mall.kind'), dataIndex: 'kind', render: (k: MallItem['kind']) => <Tag>{t(`loyalty.mall.kind_${k}`)}</Tag> },
              { title: t('loyalty.mall.gives'), render: (_, i) => (i.kind === 'coupon' && i.templateId ? refs.templateName(i.templateId) : (i.sku ?? '—')) },
              { title: t('loyalty.mall.price'), dataIndex: 'pointsPrice', align: 'right', sorter: (a, b) => a.pointsPrice - b.pointsPrice, render: (p: number) => t('loyalty.mall.pointsValue', { points: format.number(p) }) },
              { title: t('loyalty.mall.exchanged'), align: 'right', render: (_, i) => (i.stock == null ? `${format.number(i.exchanged)} / ∞` : `${format.number(i.exchanged)} / ${format.number(i.stock)}`) },
              { title: t('loyalty.coupon.perMemberLimit'), dataIndex: 'perMemberLimit', align: 'right', render: (n: number | null) => (n == null ? '∞' : format.number(n)) },
              { title: t('loyalty.coupon.tiers'), dataIndex: 'tiers', render: (ids: string[]) => (ids.length ? ids.map((id) => <Tag key={id} color="gold">{refs.tierName(id)}</Tag>) : t('loyalty.coupon.anyone')) },
              { title: t('loyalty.coupon.status'), dataIndex: 'status', render: (s: string) => <Tag color={s === 'active' ? 'green' : 'default'}>{t(`loyalty.templateStatus.${s}`, { defaultValue: s })}</Tag> },
              ...(canWrite ? [{ title: t('common.actions'), key: 'actions', render: (_: unknown, i: MallItem) => <Button size="small" onClick={() => setEditing(i)} data-testid={`edit-item-${i.id}`}>{t('loyalty.mall.edit')}</Button> }] : []),
            ]}
          />
        )}
      </Loaded>
      {creating && <NewItemModal onClose={(created) => { setCreating(false); if (created) items.reload(); }} />}
      {editing && <EditItemModal item={editing} onClose={(changed) => { setEditing(undefined); if (changed) items.reload(); }} />}
    </Card>
  );
}

interface ItemForm {
  name: string;
  kind: 'coupon' | 'goods';
  templateId?: string;
  sku?: string;
  pointsPrice: number;
  stock?: number;
  perMemberLimit?: number;
  tiers: string[];
}

function NewItemModal({ onClose }: { onClose: (created: boolean) => void }) {
  const { t } = useTranslation();
  const act = useAction();
  const { templates, tiers } = useLoyaltyRefs();
  const [form] = Form.useForm<ItemForm>();
  const [busy, setBusy] = useState(false);
  const kind = Form.useWatch('kind', form) ?? 'coupon';
  return (
    <Modal open width={640} title={t('loyalty.mall.newTitle')} okText={t('common.create')} cancelText={t('common.cancel')} confirmLoading={busy} onCancel={() => onClose(false)} onOk={() => form.submit()}>
      <Form<ItemForm>
        form={form}
        layout="vertical"
        initialValues={{ kind: 'coupon', tiers: [] }}
        onFinish={async (v) => {
          const body = withoutNulls({ ...v, name: v.name.trim(), templateId: v.kind === 'coupon' ? v.templateId : undefined, sku: v.kind === 'goods' ? v.sku : undefined });
          setBusy(true);
          const ok = await act(() => api('/api/v1/loyalty/mall/items', { method: 'POST', body }), 'loyalty.mall.created', form);
          setBusy(false);
          if (ok) onClose(true);
        }}
      >
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, max: 200, message: t('loyalty.coupon.nameRequired') }]}>
          <Input />
        </Form.Item>
        <Form.Item name="kind" label={t('loyalty.mall.kind')}>
          <Radio.Group options={(['coupon', 'goods'] as const).map((k) => ({ value: k, label: t(`loyalty.mall.kind_${k}`) }))} />
        </Form.Item>
        {kind === 'coupon' ? (
          <Form.Item name="templateId" label={t('loyalty.coupon.template')} rules={[{ required: true, message: t('loyalty.coupon.templateRequired') }]}>
            <Select showSearch optionFilterProp="label" options={(templates.data?.data ?? []).map((tpl) => ({ value: tpl.id, label: tpl.name }))} />
          </Form.Item>
        ) : (
          <Form.Item name="sku" label={t('loyalty.mall.sku')} rules={[{ required: true, whitespace: true, message: t('loyalty.mall.skuRequired') }]}>
            <Input />
          </Form.Item>
        )}
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item name="pointsPrice" label={t('loyalty.mall.price')} rules={[{ required: true, message: t('loyalty.mall.priceRequired') }]}>
              <InputNumber min={1} precision={0} style={{ width: '100%' }} addonAfter={t('loyalty.units.points')} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="stock" label={t('loyalty.mall.stock')} extra={t('loyalty.coupon.unlimitedHelp')}>
              <InputNumber min={0} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="perMemberLimit" label={t('loyalty.coupon.perMemberLimit')} extra={t('loyalty.coupon.unlimitedHelp')}>
              <InputNumber min={1} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="tiers" label={t('loyalty.coupon.tiers')} extra={t('loyalty.coupon.tiersHelp')}>
          <Select mode="multiple" options={(tiers.data?.data ?? []).map((tier) => ({ value: tier.id, label: tier.name }))} />
        </Form.Item>
        <Typography.Text type="secondary">{t('loyalty.mall.atomic')}</Typography.Text>
      </Form>
    </Modal>
  );
}

/** What an item is (coupon template or SKU) stays; price, stock (not below what was exchanged), limit and status change. */
function EditItemModal({ item, onClose }: { item: MallItem; onClose: (changed: boolean) => void }) {
  const { t } = useTranslation();
  const act = useAction();
  const [form] = Form.useForm<{ name: string; pointsPrice: number; stock?: number | null; perMemberLimit?: number | null; status: string }>();
  const [busy, setBusy] = useState(false);
  return (
    <Modal open title={t('loyalty.mall.editTitle', { name: item.name })} okText={t('common.save')} cancelText={t('common.cancel')} confirmLoading={busy} onCancel={() => onClose(false)} onOk={() => form.submit()}>
      <Form
        form={form}
        layout="vertical"
        initialValues={{ name: item.name, pointsPrice: item.pointsPrice, stock: item.stock, perMemberLimit: item.perMemberLimit, status: item.status }}
        onFinish={async (v) => {
          const body = { name: v.name.trim(), pointsPrice: v.pointsPrice, stock: v.stock ?? null, perMemberLimit: v.perMemberLimit ?? null, status: v.status };
          setBusy(true);
          const ok = await act(() => api(`/api/v1/loyalty/mall/items/${encodeURIComponent(item.id)}`, { method: 'PATCH', body }), 'loyalty.saved', form);
          setBusy(false);
          if (ok) onClose(true);
        }}
      >
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, max: 200, message: t('loyalty.coupon.nameRequired') }]}>
          <Input />
        </Form.Item>
        <Form.Item name="pointsPrice" label={t('loyalty.mall.price')} rules={[{ required: true, message: t('loyalty.mall.priceRequired') }]}>
          <InputNumber min={1} precision={0} style={{ width: '100%' }} addonAfter={t('loyalty.units.points')} />
        </Form.Item>
        <Form.Item name="stock" label={t('loyalty.mall.stock')} extra={t('loyalty.mall.stockHelp', { exchanged: item.exchanged })}>
          <InputNumber min={item.exchanged} precision={0} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="perMemberLimit" label={t('loyalty.coupon.perMemberLimit')} extra={t('loyalty.coupon.unlimitedHelp')}>
          <InputNumber min={1} precision={0} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="status" label={t('loyalty.coupon.status')}>
          <Select options={(['active', 'paused', 'archived'] as const).map((s) => ({ value: s, label: t(`loyalty.templateStatus.${s}`) }))} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
