import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../api';
import { errorText } from '../components/States';
import { LanguageSwitch } from '../layout/AppLayout';
import { useSession } from '../session';

export function SignInPage() {
  const { t } = useTranslation();
  const { signIn, config, expired } = useSession();
  const [form] = Form.useForm<{ email: string; password: string }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (values: { email: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await signIn(values.email, values.password);
    } catch (err) {
      const apiError = err as ApiError;
      setError(apiError.status === 401 ? t('auth.wrongCredentials') : errorText(t, apiError));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f5f7fa' }}>
      <Card style={{ width: 400 }} title={<Typography.Title level={4} style={{ margin: 0 }}>{t('auth.signInTitle')}</Typography.Title>} extra={<LanguageSwitch />}>
        <Space direction="vertical" style={{ width: '100%' }} size="middle">
          {expired && <Alert type="warning" showIcon message={t('auth.sessionExpired')} />}
          {config?.demoLogin && (
            <Alert
              type="info"
              showIcon
              data-testid="demo-login"
              message={t('auth.demoTitle')}
              description={t('auth.demoText', config.demoLogin)}
              action={<Button size="small" onClick={() => form.setFieldsValue(config.demoLogin!)}>{t('auth.useDemo')}</Button>}
            />
          )}
          {error && <Alert type="error" showIcon message={error} role="alert" />}
          <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
            <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, message: t('auth.emailRequired') }]}>
              <Input type="email" autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item name="password" label={t('auth.password')} rules={[{ required: true, message: t('auth.passwordRequired') }]}>
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>{t('auth.signIn')}</Button>
          </Form>
        </Space>
      </Card>
    </div>
  );
}
