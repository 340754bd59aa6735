import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, Col, Form, InputNumber, Row, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, useApi } from '../../api';
import { Loaded } from '../../components/States';
import { useSession } from '../../session';
import { useAction, withoutNulls, type LoyaltySettings } from './common';

/** Daily check-in (签到): points per day, streak bonuses, cycle, make-up cost and window. */
export function CheckinTab() {
  const { t } = useTranslation();
  const { canWrite } = useSession();
  const act = useAction();
  const settings = useApi<LoyaltySettings>('/api/v1/loyalty/settings');
  const [form] = Form.useForm<LoyaltySettings['checkin']>();
  return (
    <Card title={t('loyalty.checkin.title')}>
      <Loaded state={settings} feature={t('loyalty.tabs.checkin')}>
        {(s) => (
          <Form
            form={form}
            layout="vertical"
            initialValues={s.checkin}
            disabled={!canWrite}
            style={{ maxWidth: 720 }}
            data-testid="checkin-form"
            onFinish={async (checkin) => {
              const body = { checkin: withoutNulls({ ...checkin, streakBonuses: checkin.streakBonuses ?? [] }) };
              if (await act(() => api('/api/v1/loyalty/settings', { method: 'PUT', body }), 'loyalty.saved', form)) settings.reload();
            }}
          >
            <Typography.Paragraph type="secondary">{t('loyalty.checkin.intro')}</Typography.Paragraph>
            <Row gutter={16}>
              <Col xs={24} md={8}>
                <Form.Item name="points" label={t('loyalty.checkin.points')} rules={[{ required: true }]}>
                  <InputNumber min={0} style={{ width: '100%' }} addonAfter={t('loyalty.units.points')} />
                </Form.Item>
              </Col>
              <Col xs={24} md={8}>
                <Form.Item name="cycleDays" label={t('loyalty.checkin.cycleDays')} extra={t('loyalty.checkin.cycleHelp')}>
                  <InputNumber min={1} style={{ width: '100%' }} addonAfter={t('loyalty.units.days')} />
                </Form.Item>
              </Col>
            </Row>
            <Typography.Title level={5}>{t('loyalty.checkin.bonuses')}</Typography.Title>
            <Form.List name="streakBonuses">
              {(fields, { add, remove }) => (
                <>
                  {fields.map((field) => (
                    <Space key={field.key} align="baseline" data-testid="streak-bonus">
                      <Form.Item name={[field.name, 'day']} label={t('loyalty.checkin.bonusDay')} rules={[{ required: true }]}>
                        <InputNumber min={1} addonBefore={t('loyalty.checkin.dayPrefix')} />
                      </Form.Item>
                      <Form.Item name={[field.name, 'points']} label={t('loyalty.checkin.bonusPoints')} rules={[{ required: true }]}>
                        <InputNumber min={1} addonAfter={t('loyalty.units.points')} />
                      </Form.Item>
                      {canWrite && <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('loyalty.remove')} onClick={() => remove(field.name)} />}
                    </Space>
                  ))}
                  {canWrite && <div><Button icon={<PlusOutlined />} onClick={() => add({ day: 7, points: 50 })} style={{ marginBottom: 16 }}>{t('loyalty.checkin.addBonus')}</Button></div>}
                </>
              )}
            </Form.List>
            <Row gutter={16}>
              <Col xs={24} md={8}>
                <Form.Item name="makeUpCost" label={t('loyalty.checkin.makeUpCost')} rules={[{ required: true }]}>
                  <InputNumber min={0} style={{ width: '100%' }} addonAfter={t('loyalty.units.points')} />
                </Form.Item>
              </Col>
              <Col xs={24} md={8}>
                <Form.Item name="makeUpWindowDays" label={t('loyalty.checkin.makeUpWindow')} rules={[{ required: true }]}>
                  <InputNumber min={0} style={{ width: '100%' }} addonAfter={t('loyalty.units.days')} />
                </Form.Item>
              </Col>
            </Row>
            {canWrite && <Button type="primary" htmlType="submit" data-testid="save-checkin">{t('common.save')}</Button>}
          </Form>
        )}
      </Loaded>
    </Card>
  );
}
