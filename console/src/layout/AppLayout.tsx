import DownOutlined from '@ant-design/icons/es/icons/DownOutlined';
import GlobalOutlined from '@ant-design/icons/es/icons/GlobalOutlined';
import LogoutOutlined from '@ant-design/icons/es/icons/LogoutOutlined';
import UserOutlined from '@ant-design/icons/es/icons/UserOutlined';
import Avatar from 'antd/es/avatar/Avatar'; // not the index: AvatarGroup brings Popover
import Dropdown from 'antd/es/dropdown/dropdown'; // not the index: Dropdown.Button brings Button and Space.Compact
import Layout from 'antd/es/layout';
import Menu from 'antd/es/menu';
import Space from 'antd/es/space';
import type { MenuProps } from 'antd/es/menu';
import { useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, setLanguage, type Language } from '../i18n';
import { navigate, useLocation } from '../router';
import { DemoLoadingBanner } from '../components/DemoLoading';
import { useSession } from '../session';
import { menu, selectedKey, type MenuEntry } from './menu';

/** The language menu (antd Dropdown, already on the first screen for the user menu: no Select in the first chunk). */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const items = LANGUAGES.map((l) => ({ key: l, label: t(`language.${l}`) }));
  return (
    <Dropdown trigger={['click']} menu={{ items, selectable: true, selectedKeys: [i18n.language], onClick: ({ key }) => setLanguage(key as Language) }}>
      <a onClick={(e) => e.preventDefault()} href="#language" role="button" aria-label={t('common.language')} data-testid="language-switch" style={{ whiteSpace: 'nowrap' }}>
        <Space size={4}>
          <GlobalOutlined />
          {t(`language.${i18n.language as Language}`)}
          <DownOutlined style={{ fontSize: 10 }} />
        </Space>
      </a>
    </Dropdown>
  );
}

export function AppLayout({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const { me, signOut } = useSession();
  const { pathname } = useLocation();
  const [collapsed, setCollapsed] = useState(false);
  const role = me!.role;

  const items = useMemo<MenuProps['items']>(() => {
    const toItem = (e: MenuEntry): NonNullable<MenuProps['items']>[number] => ({
      key: e.key,
      icon: e.icon,
      label: t(e.label),
      children: e.children?.map(toItem),
      onClick: e.path ? () => navigate(e.path!) : undefined,
    });
    return menu.filter((e) => !e.roles || e.roles.includes(role)).map(toItem);
  }, [t, role]);

  const userMenu: MenuProps['items'] = [
    { key: 'role', label: t(`roles.${role}`), disabled: true },
    { type: 'divider' },
    { key: 'sign-out', icon: <LogoutOutlined />, label: t('auth.signOut'), onClick: () => void signOut() },
  ];

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider collapsible collapsed={collapsed} onCollapse={setCollapsed} theme="light" width={220} style={{ borderRight: '1px solid #f0f0f0', position: 'sticky', top: 0, height: '100vh', overflow: 'auto' }}>
        <div style={{ height: 56, display: 'flex', alignItems: 'center', padding: '0 20px', fontWeight: 600, fontSize: 18, color: '#1677ff' }}>
          {collapsed ? t('app.name').slice(0, 1) : t('app.name')}
        </div>
        <nav aria-label={t('app.tagline')}>
          <Menu mode="inline" items={items} selectedKeys={[selectedKey(pathname, role) ?? '']} defaultOpenKeys={pathname.startsWith('/data') ? ['data'] : []} />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: '#fff', padding: '0 24px', display: 'flex', alignItems: 'center', justifyContent: 'space-between', borderBottom: '1px solid #f0f0f0' }}>
          <strong data-testid="workspace-name" style={{ fontWeight: 600 }}>{me!.workspace.name}</strong>
          <Space size="middle">
            <LanguageSwitch />
            <Dropdown menu={{ items: userMenu }} trigger={['click']}>
              <a onClick={(e) => e.preventDefault()} href="#account" data-testid="user-menu">
                <Space>
                  <Avatar size="small" icon={<UserOutlined />} />
                  {me!.user?.name ?? t(`roles.${role}`)}
                </Space>
              </a>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          <DemoLoadingBanner />
          <main>{children}</main>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
