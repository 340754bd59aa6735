import { lazy, type ComponentType } from 'react';
import type { Role } from './session';
import { OverviewPage } from './pages/Overview';

// The overview is the first screen and ships with the app; every other page loads when first opened.
const ProfilesPage = lazy(() => import('./pages/Profiles').then((m) => ({ default: m.ProfilesPage })));
const ProfilePage = lazy(() => import('./pages/Profile').then((m) => ({ default: m.ProfilePage })));
const KeysPage = lazy(() => import('./pages/Keys').then((m) => ({ default: m.KeysPage })));
const TeamPage = lazy(() => import('./pages/Team').then((m) => ({ default: m.TeamPage })));
const ImportPage = lazy(() => import('./pages/Import').then((m) => ({ default: m.ImportPage })));
const IdentifierSettingsPage = lazy(() => import('./pages/IdentifierSettings').then((m) => ({ default: m.IdentifierSettingsPage })));
const TagsPage = lazy(() => import('./pages/Tags').then((m) => ({ default: m.TagsPage })));
const TagEditPage = lazy(() => import('./pages/TagEdit').then((m) => ({ default: m.TagEditPage })));
const SegmentsPage = lazy(() => import('./pages/Segments').then((m) => ({ default: m.SegmentsPage })));
const SegmentEditPage = lazy(() => import('./pages/SegmentEdit').then((m) => ({ default: m.SegmentEditPage })));
const SegmentDetailPage = lazy(() => import('./pages/SegmentDetail').then((m) => ({ default: m.SegmentDetailPage })));
const LoyaltyPage = lazy(() => import('./pages/loyalty/Loyalty').then((m) => ({ default: m.LoyaltyPage })));
const JourneysPage = lazy(() => import('./pages/journeys/Journeys').then((m) => ({ default: m.JourneysPage })));
const JourneyEditorPage = lazy(() => import('./pages/journeys/JourneyEditor').then((m) => ({ default: m.JourneyEditorPage })));
const MessagingPage = lazy(() => import('./pages/messaging/Messaging').then((m) => ({ default: m.MessagingPage })));
const TemplateEditorPage = lazy(() => import('./pages/messaging/TemplateEditor').then((m) => ({ default: m.TemplateEditorPage })));
const EventSchemaPage = lazy(() => import('./pages/EventSchema').then((m) => ({ default: m.EventSchemaPage })));
const resourcePage = (...args: Parameters<typeof import('./pages/ResourceList').resourcePage>) =>
  lazy(() => import('./pages/ResourceList').then((m) => ({ default: m.resourcePage(...args) })));

export interface PageProps {
  params: Record<string, string>;
}

export interface RouteDef {
  path: string;
  page: ComponentType<PageProps>;
  /** Who may open it (all roles when absent). */
  roles?: Role[];
}

const staff: Role[] = ['owner', 'operator', 'analyst'];

/** Every console page. A later page: add it here and to the menu (layout/menu.tsx). */
export const routes: RouteDef[] = [
  { path: '/', page: OverviewPage, roles: staff },
  { path: '/profiles', page: ProfilesPage },
  { path: '/profiles/:id', page: ProfilePage },
  { path: '/tags', page: TagsPage, roles: staff },
  { path: '/tags/new', page: TagEditPage, roles: staff },
  { path: '/tags/:id', page: TagEditPage, roles: staff },
  { path: '/segments', page: SegmentsPage, roles: staff },
  { path: '/segments/new', page: SegmentEditPage, roles: staff },
  { path: '/segments/:id', page: SegmentDetailPage, roles: staff },
  { path: '/segments/:id/edit', page: SegmentEditPage, roles: staff },
  { path: '/journeys', page: JourneysPage, roles: staff },
  { path: '/journeys/new', page: JourneyEditorPage, roles: staff },
  { path: '/journeys/:id', page: JourneyEditorPage, roles: staff },
  { path: '/templates', page: MessagingPage, roles: staff },
  { path: '/templates/new', page: TemplateEditorPage, roles: staff },
  { path: '/templates/:id', page: TemplateEditorPage, roles: staff },
  { path: '/loyalty', page: LoyaltyPage, roles: staff },
  { path: '/loyalty/:tab', page: LoyaltyPage, roles: staff },
  { path: '/data/keys', page: KeysPage, roles: staff },
  { path: '/data/import', page: ImportPage, roles: staff },
  { path: '/data/identifiers', page: IdentifierSettingsPage, roles: staff },
  { path: '/data/events', page: EventSchemaPage, roles: staff },
  { path: '/team', page: TeamPage, roles: staff },
];
