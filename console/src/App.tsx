import { App as AntApp, ConfigProvider, Skeleton, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { Suspense, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { AppLayout } from './layout/AppLayout';
import { routes } from './routes';
import { matchPath, navigate, useLocation } from './router';
import { SessionProvider, useSession } from './session';
import { AcceptInvitePage } from './pages/AcceptInvite';
import { NotFoundPage } from './pages/NotFound';
import { SignInPage } from './pages/SignIn';
import { theme } from './theme';

export function App() {
  const { i18n } = useTranslation();
  const zh = i18n.language === 'zh-CN';
  useEffect(() => {
    dayjs.locale(zh ? 'zh-cn' : 'en');
  }, [zh]);
  return (
    <ConfigProvider locale={zh ? zhCN : enUS} theme={theme}>
      <AntApp>
        <SessionProvider>
          <Screens />
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}

function Screens() {
  const { me } = useSession();
  const { pathname } = useLocation();
  const invite = matchPath('/invite/:token', pathname);
  if (invite) return <AcceptInvitePage token={invite.token!} />;
  if (me === undefined) return <Spin fullscreen />;
  if (me === null) return <SignInPage />;
  if (me.role === 'guide' && pathname === '/') return <Redirect to="/profiles" />;
  for (const route of routes) {
    const params = matchPath(route.path, pathname);
    if (params && (!route.roles || route.roles.includes(me.role))) {
      const Page = route.page;
      return (
        <AppLayout>
          <Suspense fallback={<Skeleton active />}>
            <Page params={params} />
          </Suspense>
        </AppLayout>
      );
    }
  }
  return (
    <AppLayout>
      <NotFoundPage />
    </AppLayout>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
