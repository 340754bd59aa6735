import BranchesOutlined from '@ant-design/icons/es/icons/BranchesOutlined';
import DashboardOutlined from '@ant-design/icons/es/icons/DashboardOutlined';
import DatabaseOutlined from '@ant-design/icons/es/icons/DatabaseOutlined';
import GiftOutlined from '@ant-design/icons/es/icons/GiftOutlined';
import KeyOutlined from '@ant-design/icons/es/icons/KeyOutlined';
import MessageOutlined from '@ant-design/icons/es/icons/MessageOutlined';
import TagsOutlined from '@ant-design/icons/es/icons/TagsOutlined';
import TeamOutlined from '@ant-design/icons/es/icons/TeamOutlined';
import UploadOutlined from '@ant-design/icons/es/icons/UploadOutlined';
import UserOutlined from '@ant-design/icons/es/icons/UserOutlined';
import UsergroupAddOutlined from '@ant-design/icons/es/icons/UsergroupAddOutlined';
import IdcardOutlined from '@ant-design/icons/es/icons/IdcardOutlined';
import ProfileOutlined from '@ant-design/icons/es/icons/ProfileOutlined';
import type { ReactNode } from 'react';
import type { Role } from '../session';

export interface MenuEntry {
  key: string;
  /** i18n key of the label */
  label: string;
  icon: ReactNode;
  path?: string;
  children?: MenuEntry[];
  roles?: Role[];
}

const staff: Role[] = ['owner', 'operator', 'analyst'];

/** The side menu; paths match routes.tsx. */
export const menu: MenuEntry[] = [
  { key: 'overview', label: 'menu.overview', icon: <DashboardOutlined />, path: '/', roles: staff },
  { key: 'profiles', label: 'menu.profiles', icon: <UserOutlined />, path: '/profiles', roles: staff },
  { key: 'my-customers', label: 'menu.myCustomers', icon: <UserOutlined />, path: '/profiles', roles: ['guide'] },
  { key: 'tags', label: 'menu.tags', icon: <TagsOutlined />, path: '/tags', roles: staff },
  { key: 'segments', label: 'menu.segments', icon: <UsergroupAddOutlined />, path: '/segments', roles: staff },
  { key: 'journeys', label: 'menu.journeys', icon: <BranchesOutlined />, path: '/journeys', roles: staff },
  { key: 'templates', label: 'menu.templates', icon: <MessageOutlined />, path: '/templates', roles: staff },
  { key: 'loyalty', label: 'menu.loyalty', icon: <GiftOutlined />, path: '/loyalty', roles: staff },
  {
    key: 'data', label: 'menu.data', icon: <DatabaseOutlined />, roles: staff,
    children: [
      { key: 'keys', label: 'menu.keys', icon: <KeyOutlined />, path: '/data/keys' },
      { key: 'import', label: 'menu.import', icon: <UploadOutlined />, path: '/data/import' },
      { key: 'identifiers', label: 'menu.identifiers', icon: <IdcardOutlined />, path: '/data/identifiers' },
      { key: 'events', label: 'menu.events', icon: <ProfileOutlined />, path: '/data/events' },
    ],
  },
  { key: 'team', label: 'menu.team', icon: <TeamOutlined />, path: '/team', roles: staff },
];

/** The menu key to highlight for a path: the entry with the longest matching path. */
export function selectedKey(pathname: string, role: Role): string | undefined {
  let best: { key: string; length: number } | undefined;
  const visit = (entries: MenuEntry[]) => {
    for (const e of entries) {
      if (e.roles && !e.roles.includes(role)) continue;
      if (e.path && (pathname === e.path || (e.path !== '/' && pathname.startsWith(`${e.path}/`))) && (!best || e.path.length > best.length)) {
        best = { key: e.key, length: e.path.length };
      }
      if (e.children) visit(e.children);
    }
  };
  visit(menu);
  return best?.key;
}
