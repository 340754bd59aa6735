import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, Col, Form, Input, InputNumber, Row, Select, Space, Switch, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, useApi } from '../../api';
import { Loaded } from '../../components/States';
import { useSession } from '../../session';
import { useAction, withoutNulls, type LoyaltySettings } from './common';

type EarningForm = Pick<LoyaltySettings, 'pointValue' | 'orderEarning' | 'eventRules' | 'expiry'>;

/** Earning rules and the points policy: points per ¥, exclusions, caps, pending days, event rules, expiry. */
export function EarningTab() {
  const { t } = useTranslation();
  const { canWrite } = useSession();
  const act = useAction();
  const settings = useApi<LoyaltySettings>('/api/v1/loyalty/settings');
  const [form] = Form.useForm<EarningForm>();
  const mode = Form.useWatch(['expiry', 'mode'], form);

  const save = async (values: EarningForm) => {
    const body = withoutNulls({ pointValue: values.pointValue, orderEarning: values.orderEarning, eventRules: values.eventRules ?? [], expiry: values.expiry });
    if (await act(() => api('/api/v1/loyalty/settings', { method: 'PUT', body }), 'loyalty.saved', form)) settings.reload();
  };

  return (
    <Loaded state={settings} feature={t('loyalty.tabs.earning')}>
      {(s) => (
        <Form form={form} layout="vertical" initialValues={s} onFinish={save} disabled={!canWrite} data-testid="earning-form">
          <Space direction="vertical" size="middle" style={{ width: '100%' }}>
            <Card title={t('loyalty.earning.orders')}>
              <Row gutter={16}>
                <Col xs={24} md={8}>
                  <Form.Item name={['orderEarning', 'pointsPerYuan']} label={t('loyalty.earning.pointsPerYuan')} rules={[{ required: true }]}>
                    <InputNumber min={0} step={0.1} style={{ width: '100%' }} addonAfter={t('loyalty.units.pointsPerYuan')} />
                  </Form.Item>
                </Col>
                <Col xs={24} md={8}>
                  <Form.Item name={['orderEarning', 'pendingDays']} label={t('loyalty.earning.pendingDays')} extra={t('loyalty.earning.pendingHelp')} rules={[{ required: true }]}>
                    <InputNumber min={0} max={365} style={{ width: '100%' }} addonAfter={t('loyalty.units.days')} />
                  </Form.Item>
                </Col>
                <Col xs={24} md={8}>
                  <Form.Item name={['orderEarning', 'maxPointsPerOrder']} label={t('loyalty.earning.maxPerOrder')} extra={t('loyalty.earning.noCapHelp')}>
                    <InputNumber min={1} style={{ width: '100%' }} addonAfter={t('loyalty.units.points')} />
                  </Form.Item>
                </Col>
                <Col xs={24} md={8}>
                  <Form.Item name={['orderEarning', 'excludeShipping']} label={t('loyalty.earning.excludeShipping')} valuePropName="checked">
                    <Switch />
                  </Form.Item>
                </Col>
                <Col xs={24} md={8}>
                  <Form.Item name={['orderEarning', 'excludedSkus']} label={t('loyalty.earning.excludedSkus')}>
                    <Select mode="tags" tokenSeparators={[',', ' ']} placeholder={t('loyalty.tagsPlaceholder')} open={false} />
                  </Form.Item>
                </Col>
                <Col xs={24} md={8}>
                  <Form.Item name={['orderEarning', 'excludedCategories']} label={t('loyalty.earning.excludedCategories')}>
                    <Select mode="tags" tokenSeparators={[',', ' ']} placeholder={t('loyalty.tagsPlaceholder')} open={false} />
                  </Form.Item>
                </Col>
              </Row>
              <Typography.Text type="secondary">{t('loyalty.earning.multiplierHint')}</Typography.Text>
            </Card>

            <Card title={t('loyalty.earning.events')}>
              <Typography.Paragraph type="secondary">{t('loyalty.earning.eventsHelp')}</Typography.Paragraph>
              <Form.List name="eventRules">
                {(fields, { add, remove }) => (
                  <>
                    {fields.map((field) => (
                      <Space key={field.key} align="baseline" wrap data-testid="event-rule">
                        <Form.Item name={[field.name, 'id']} label={t('loyalty.earning.ruleId')} rules={[{ required: true, max: 64 }]}>
                          <Input placeholder="review" style={{ width: 120 }} />
                        </Form.Item>
                        <Form.Item name={[field.name, 'event']} label={t('loyalty.earning.event')} rules={[{ required: true }]}>
                          <Input placeholder="Review Submitted" style={{ width: 180 }} />
                        </Form.Item>
                        <Form.Item name={[field.name, 'points']} label={t('loyalty.units.points')} rules={[{ required: true }]}>
                          <InputNumber min={1} style={{ width: 100 }} />
                        </Form.Item>
                        <Form.Item name={[field.name, 'dailyTimes']} label={t('loyalty.earning.dailyTimes')}>
                          <InputNumber min={1} style={{ width: 100 }} placeholder="∞" />
                        </Form.Item>
                        <Form.Item name={[field.name, 'totalTimes']} label={t('loyalty.earning.totalTimes')}>
                          <InputNumber min={1} style={{ width: 100 }} placeholder="∞" />
                        </Form.Item>
                        {canWrite && <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('loyalty.remove')} onClick={() => remove(field.name)} />}
                      </Space>
                    ))}
                    {fields.length === 0 && <Typography.Paragraph type="secondary">{t('loyalty.earning.noEvents')}</Typography.Paragraph>}
                    {canWrite && <Button icon={<PlusOutlined />} onClick={() => add({ id: '', event: '', points: 10 })}>{t('loyalty.earning.addEvent')}</Button>}
                  </>
                )}
              </Form.List>
            </Card>

            <Card title={t('loyalty.earning.expiry')}>
              <Row gutter={16}>
                <Col xs={24} md={8}>
                  <Form.Item name={['expiry', 'mode']} label={t('loyalty.earning.expiryMode')}>
                    <Select options={(['none', 'lot', 'end_of_year'] as const).map((v) => ({ value: v, label: t(`loyalty.earning.expiry_${v}`) }))} />
                  </Form.Item>
                </Col>
                {mode === 'lot' && (
                  <Col xs={24} md={8}>
                    <Form.Item name={['expiry', 'days']} label={t('loyalty.earning.lotDays')} rules={[{ required: true }]}>
                      <InputNumber min={1} style={{ width: '100%' }} addonAfter={t('loyalty.units.days')} />
                    </Form.Item>
                  </Col>
                )}
                {mode === 'end_of_year' && (
                  <Col xs={24} md={8}>
                    <Form.Item name={['expiry', 'years']} label={t('loyalty.earning.years')} extra={t('loyalty.earning.yearsHelp')} rules={[{ required: true }]}>
                      <InputNumber min={1} max={10} style={{ width: '100%' }} />
                    </Form.Item>
                  </Col>
                )}
                <Col xs={24} md={8}>
                  <Form.Item name={['expiry', 'notifyDaysBefore']} label={t('loyalty.earning.notifyDays')} rules={[{ required: true }]}>
                    <InputNumber min={0} style={{ width: '100%' }} addonAfter={t('loyalty.units.days')} />
                  </Form.Item>
                </Col>
                <Col xs={24} md={8}>
                  <Form.Item name="pointValue" label={t('loyalty.earning.pointValue')} extra={t('loyalty.earning.pointValueHelp')} rules={[{ required: true }]}>
                    <InputNumber min={0} step={0.001} prefix="¥" style={{ width: '100%' }} />
                  </Form.Item>
                </Col>
              </Row>
            </Card>
            {canWrite && <Button type="primary" htmlType="submit" data-testid="save-earning">{t('common.save')}</Button>}
          </Space>
        </Form>
      )}
    </Loaded>
  );
}
