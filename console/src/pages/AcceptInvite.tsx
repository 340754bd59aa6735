import { Alert, Button, Card, Form, Input, Result, Spin } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, useApi, type ApiError } from '../api';
import { errorText } from '../components/States';
import { LanguageSwitch } from '../layout/AppLayout';
import { navigate } from '../router';
import { useSession, type Me } from '../session';

export function AcceptInvitePage({ token }: { token: string }) {
  const { t } = useTranslation();
  const { signedIn } = useSession();
  const invitation = useApi<{ email: string; name: string; workspaceName: string }>(`/api/v1/invitations/${encodeURIComponent(token)}`);
  const [error, setError] = useState<string>();

  const submit = async (values: { name: string; password: string }) => {
    try {
      const me = await api<Me>('/api/v1/invitations/accept', { method: 'POST', body: { token, ...values } });
      signedIn(me);
      navigate('/', { replace: true });
    } catch (err) {
      setError(errorText(t, err as ApiError));
    }
  };

  let body;
  if (invitation.error) body = <Result status="warning" title={t('auth.inviteInvalid')} />;
  else if (!invitation.data) body = <Spin />;
  else
    body = (
      <Form layout="vertical" onFinish={submit} initialValues={{ name: invitation.data.name }}>
        <Alert type="info" message={t('auth.inviteText', { workspace: invitation.data.workspaceName, email: invitation.data.email })} style={{ marginBottom: 16 }} />
        {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} role="alert" />}
        <Form.Item name="name" label={t('auth.yourName')} rules={[{ required: true }]}>
          <Input autoComplete="name" />
        </Form.Item>
        <Form.Item name="password" label={t('auth.newPassword')} extra={t('auth.passwordRule')} rules={[{ required: true, min: 8, message: t('auth.passwordRule') }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block>{t('auth.acceptInvite')}</Button>
      </Form>
    );
  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f5f7fa' }}>
      <Card style={{ width: 420 }} title={t('auth.inviteTitle')} extra={<LanguageSwitch />}>{body}</Card>
    </div>
  );
}
