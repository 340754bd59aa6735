import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../api';
import { DemoLoadingBanner } from '../components/DemoLoading';
import { errorText } from '../components/States';
import { LanguageSwitch } from '../layout/AppLayout';
import { useSession } from '../session';

interface WorkspaceOption {
  id: string;
  name: string;
}

export function SignInPage() {
  const { t } = useTranslation();
  const { signIn, config, expired } = useSession();
  const [form] = Form.useForm<{ email: string; password: string }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string | boolean>(false);
  // The password opens several workspaces: the server listed them and nothing is signed in yet.
  const [choice, setChoice] = useState<{ email: string; password: string; workspaces: WorkspaceOption[] }>();

  const submit = async (values: { email: string; password: string }, workspaceId?: string) => {
    setBusy(workspaceId ?? true);
    setError(undefined);
    try {
      await signIn(values.email, values.password, workspaceId);
    } catch (err) {
      const apiError = err as ApiError;
      if (apiError.code === 'workspace_choice_required') setChoice({ ...values, workspaces: (apiError.body.workspaces ?? []) as WorkspaceOption[] });
      else setError(apiError.status === 401 ? t('auth.wrongCredentials') : errorText(t, apiError));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f5f7fa' }}>
      <Card style={{ width: 400 }} title={<Typography.Title level={4} style={{ margin: 0 }}>{t('auth.signInTitle')}</Typography.Title>} extra={<LanguageSwitch />}>
        <Space direction="vertical" style={{ width: '100%' }} size="middle">
          {expired && <Alert type="warning" showIcon message={t('auth.sessionExpired')} />}
          <DemoLoadingBanner gap={0} />
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
          {choice && (
            <Space direction="vertical" style={{ width: '100%' }} data-testid="workspace-choice">
              <Typography.Text>{t('auth.chooseWorkspace')}</Typography.Text>
              {choice.workspaces.map((w) => (
                <Button key={w.id} block loading={busy === w.id} disabled={busy !== false} onClick={() => void submit(choice, w.id)}>{w.name}</Button>
              ))}
              <Button type="link" block onClick={() => setChoice(undefined)}>{t('auth.otherAccount')}</Button>
            </Space>
          )}
          <Form form={form} hidden={!!choice} layout="vertical" onFinish={(values) => void submit(values)} requiredMark={false}>
            <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, message: t('auth.emailRequired') }]}>
              <Input type="email" autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item name="password" label={t('auth.password')} rules={[{ required: true, message: t('auth.passwordRequired') }]}>
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy === true}>{t('auth.signIn')}</Button>
          </Form>
        </Space>
      </Card>
    </div>
  );
}
