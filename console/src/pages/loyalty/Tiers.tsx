import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, Form, Input, InputNumber, Select, Space, Switch, Table, Typography } from 'antd';
import { useEffect, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { api, useApi } from '../../api';
import { Loaded } from '../../components/States';
import { useFormat } from '../../format';
import { useSession } from '../../session';
import { useAction, useLoyaltyRefs, type LoyaltySettings, type Tier } from './common';

interface TierRow extends Tier {
  existing?: boolean;
}

/** The tier ladder (thresholds and benefits) and the tier program (basis, period, grace). */
export function TiersTab() {
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <TierLadder />
      <TierProgram />
    </Space>
  );
}

function TierLadder() {
  const { t } = useTranslation();
  const format = useFormat();
  const { canWrite } = useSession();
  const act = useAction();
  const { tiers, templates } = useLoyaltyRefs();
  const settings = useApi<LoyaltySettings>('/api/v1/loyalty/settings');
  const period = useMemo(() => ({ from: new Date(Date.now() - 30 * 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() }), []);
  const report = useApi<{ distribution: { tierId: string | null; members: number }[] }>('/api/v1/loyalty/reports/tiers', period);
  const [form] = Form.useForm<{ tiers: TierRow[] }>();
  useEffect(() => {
    if (tiers.data) form.setFieldsValue({ tiers: tiers.data.data.map((tier) => ({ ...tier, existing: true })) });
  }, [tiers.data, form]);
  const members = new Map((report.data?.distribution ?? []).map((d) => [d.tierId, d.members]));
  const spend = settings.data?.tiers.basis === 'spend';
  const templateOptions = (templates.data?.data ?? []).map((tpl) => ({ value: tpl.id, label: tpl.name }));

  const save = async (values: { tiers?: TierRow[] }) => {
    // Ranks follow the thresholds: the lowest tier is where members start.
    const ladder = [...(values.tiers ?? [])]
      .sort((a, b) => a.threshold - b.threshold)
      .map(({ existing: _existing, ...tier }, rank) => ({ ...tier, rank, benefits: cleanBenefits(tier.benefits) }));
    const saved = await act(() => api<{ data: Tier[] }>('/api/v1/loyalty/tiers', { method: 'PUT', body: { tiers: ladder } }), 'loyalty.tiers.saved', form);
    if (saved) {
      tiers.reload();
      report.reload();
    }
  };

  return (
    <Card title={t('loyalty.tiers.title')} data-testid="tier-ladder">
      <Loaded state={tiers} feature={t('loyalty.tabs.tiers')}>
        {() => (
          <Form form={form} onFinish={save} disabled={!canWrite}>
            <Typography.Paragraph type="secondary">{t('loyalty.tiers.intro')}</Typography.Paragraph>
            <Form.List name="tiers">
              {(fields, { add, remove }) => (
                <>
                  <Table
                    size="small"
                    pagination={false}
                    dataSource={fields}
                    rowKey="key"
                    scroll={{ x: 1100 }}
                    locale={{ emptyText: t('loyalty.tiers.empty') }}
                    columns={[
                      {
                        title: t('loyalty.tiers.id'), width: 130,
                        render: (_, field) => (
                          <Form.Item noStyle shouldUpdate>
                            {() => (
                              <Form.Item name={[field.name, 'id']} rules={[{ required: true, pattern: /^[A-Za-z0-9_-]{1,64}$/, message: t('loyalty.tiers.idRule') }]} style={{ margin: 0 }}>
                                <Input aria-label={t('loyalty.tiers.id')} placeholder="gold" disabled={!canWrite || form.getFieldValue(['tiers', field.name, 'existing'])} />
                              </Form.Item>
                            )}
                          </Form.Item>
                        ),
                      },
                      {
                        title: t('loyalty.tiers.name'), width: 170,
                        render: (_, field) => (
                          <Form.Item name={[field.name, 'name']} rules={[{ required: true, whitespace: true, message: t('loyalty.tiers.nameRequired') }]} style={{ margin: 0 }}>
                            <Input aria-label={t('loyalty.tiers.name')} placeholder={t('loyalty.tiers.namePlaceholder')} />
                          </Form.Item>
                        ),
                      },
                      {
                        title: spend ? t('loyalty.tiers.thresholdSpend') : t('loyalty.tiers.thresholdPoints'), width: 150,
                        render: (_, field) => (
                          <Form.Item name={[field.name, 'threshold']} rules={[{ required: true, message: t('loyalty.tiers.thresholdRequired') }]} style={{ margin: 0 }}>
                            <InputNumber aria-label={t('loyalty.tiers.threshold')} min={0} prefix={spend ? '¥' : undefined} style={{ width: '100%' }} />
                          </Form.Item>
                        ),
                      },
                      {
                        title: t('loyalty.tiers.multiplier'), width: 110,
                        render: (_, field) => (
                          <Form.Item name={[field.name, 'benefits', 'pointsMultiplier']} style={{ margin: 0 }}>
                            <InputNumber aria-label={t('loyalty.tiers.multiplier')} min={0.1} max={100} step={0.1} placeholder="1" style={{ width: '100%' }} />
                          </Form.Item>
                        ),
                      },
                      {
                        title: t('loyalty.tiers.memberPrice'), width: 90,
                        render: (_, field) => (
                          <Form.Item name={[field.name, 'benefits', 'memberPrice']} valuePropName="checked" style={{ margin: 0 }}>
                            <Switch aria-label={t('loyalty.tiers.memberPrice')} size="small" />
                          </Form.Item>
                        ),
                      },
                      {
                        title: t('loyalty.tiers.birthdayCoupon'), width: 170,
                        render: (_, field) => (
                          <Form.Item name={[field.name, 'benefits', 'birthdayCouponTemplateId']} style={{ margin: 0 }}>
                            <Select aria-label={t('loyalty.tiers.birthdayCoupon')} allowClear options={templateOptions} placeholder={t('loyalty.none')} />
                          </Form.Item>
                        ),
                      },
                      {
                        title: t('loyalty.tiers.shippingCoupon'), width: 170,
                        render: (_, field) => (
                          <Form.Item name={[field.name, 'benefits', 'freeShippingCouponTemplateId']} style={{ margin: 0 }}>
                            <Select aria-label={t('loyalty.tiers.shippingCoupon')} allowClear options={templateOptions} placeholder={t('loyalty.none')} />
                          </Form.Item>
                        ),
                      },
                      {
                        title: t('loyalty.tiers.members'), width: 90, align: 'right',
                        render: (_, field) => format.number(members.get(form.getFieldValue(['tiers', field.name, 'id'])) ?? 0),
                      },
                      ...(canWrite
                        ? [{
                            title: '', width: 50,
                            render: (_: unknown, field: { name: number }) => (
                              <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('loyalty.tiers.remove')} onClick={() => remove(field.name)} />
                            ),
                          }]
                        : []),
                    ]}
                  />
                  {canWrite && (
                    <Space style={{ marginTop: 16 }}>
                      <Button icon={<PlusOutlined />} onClick={() => add({ id: '', name: '', threshold: 0, benefits: {} })}>{t('loyalty.tiers.add')}</Button>
                      <Button type="primary" htmlType="submit" data-testid="save-tiers">{t('loyalty.tiers.save')}</Button>
                    </Space>
                  )}
                </>
              )}
            </Form.List>
          </Form>
        )}
      </Loaded>
    </Card>
  );
}

function cleanBenefits(benefits: Tier['benefits'] | undefined): Tier['benefits'] {
  const out: Tier['benefits'] = {};
  if (benefits?.pointsMultiplier) out.pointsMultiplier = benefits.pointsMultiplier;
  if (benefits?.memberPrice) out.memberPrice = true;
  if (benefits?.birthdayCouponTemplateId) out.birthdayCouponTemplateId = benefits.birthdayCouponTemplateId;
  if (benefits?.freeShippingCouponTemplateId) out.freeShippingCouponTemplateId = benefits.freeShippingCouponTemplateId;
  return out;
}

function TierProgram() {
  const { t } = useTranslation();
  const { canWrite } = useSession();
  const act = useAction();
  const settings = useApi<LoyaltySettings>('/api/v1/loyalty/settings');
  const [form] = Form.useForm<LoyaltySettings['tiers']>();
  const period = Form.useWatch('period', form);
  return (
    <Card title={t('loyalty.program.title')}>
      <Loaded state={settings} feature={t('loyalty.tabs.tiers')}>
        {(s) => (
          <Form
            form={form}
            layout="vertical"
            initialValues={s.tiers}
            disabled={!canWrite}
            style={{ maxWidth: 560 }}
            onFinish={async (tiers) => {
              if (await act(() => api('/api/v1/loyalty/settings', { method: 'PUT', body: { tiers } }), 'loyalty.saved', form)) settings.reload();
            }}
          >
            <Form.Item name="basis" label={t('loyalty.program.basis')} extra={t('loyalty.program.basisHelp')}>
              <Select options={(['points', 'spend'] as const).map((v) => ({ value: v, label: t(`loyalty.program.basis_${v}`) }))} />
            </Form.Item>
            <Form.Item name="period" label={t('loyalty.program.period')}>
              <Select options={(['rolling', 'calendar'] as const).map((v) => ({ value: v, label: t(`loyalty.program.period_${v}`) }))} />
            </Form.Item>
            {period !== 'calendar' && (
              <Form.Item name="rollingMonths" label={t('loyalty.program.rollingMonths')} rules={[{ required: true }]}>
                <InputNumber min={1} max={120} addonAfter={t('loyalty.units.months')} />
              </Form.Item>
            )}
            <Form.Item name="graceDays" label={t('loyalty.program.graceDays')} extra={t('loyalty.program.graceHelp')} rules={[{ required: true }]}>
              <InputNumber min={0} max={3650} addonAfter={t('loyalty.units.days')} />
            </Form.Item>
            {canWrite && <Button type="primary" htmlType="submit">{t('common.save')}</Button>}
          </Form>
        )}
      </Loaded>
    </Card>
  );
}
