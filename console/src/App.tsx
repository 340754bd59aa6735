import ConfigProvider from 'antd/es/config-provider';
import Skeleton from 'antd/es/skeleton';
import Spin from 'antd/es/spin';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { lazy, Suspense, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { FeedbackProvider } from './feedback';
import { antdLocale } from './i18n';
import { AppLayout } from './layout/AppLayout';
import { loadCharts } from './pages/loadCharts';
import { routes } from './routes';
import { matchPath, navigate, useLocation } from './router';
import { SessionProvider, useSession } from './session';
import { theme } from './theme';

// The first screen evaluates only the shell and the overview: the sign-in form (antd Form, Input…), the invite and
// not-found pages load when shown. index.html has already asked for /api/v1/me: when it says "signed out", the
// sign-in code is fetched at once, alongside this chunk's evaluation.
const loadSignIn = () => import('./pages/SignIn');
const SignInPage = lazy(() => loadSignIn().then((m) => ({ default: m.SignInPage })));
const AcceptInvitePage = lazy(() => import('./pages/AcceptInvite').then((m) => ({ default: m.AcceptInvitePage })));
const NotFoundPage = lazy(() => import('./pages/NotFound').then((m) => ({ default: m.NotFoundPage })));
// When it says signed in on `/` (the overview, but for guides), the charts' code is fetched now too (loadCharts.ts).
window.__siyuPrefetch?.['/api/v1/me']?.then((res) => {
  if (res.status === 401) return void loadSignIn();
  if (res.ok && window.location.pathname === '/') {
    return res.clone().json().then((me: { role?: string }) => me.role !== 'guide' && void loadCharts());
  }
}).catch(() => undefined);

export function App() {
  const { i18n } = useTranslation();
  const zh = i18n.language === 'zh-CN';
  useEffect(() => {
    dayjs.locale(zh ? 'zh-cn' : 'en');
  }, [zh]);
  return (
    <ConfigProvider locale={antdLocale(i18n.language)} theme={theme}>
      <FeedbackProvider>
        <SessionProvider>
          <Screens />
        </SessionProvider>
      </FeedbackProvider>
    </ConfigProvider>
  );
}

function Screens() {
  const { me } = useSession();
  const { pathname } = useLocation();
  const invite = matchPath('/invite/:token', pathname);
  if (invite) return <Suspense fallback={<Spin fullscreen />}><AcceptInvitePage token={invite.token!} /></Suspense>;
  if (me === undefined) return <Spin fullscreen />;
  if (me === null) return <Suspense fallback={<Spin fullscreen />}><SignInPage /></Suspense>;
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
      <Suspense fallback={<Skeleton active />}>
        <NotFoundPage />
      </Suspense>
    </AppLayout>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
