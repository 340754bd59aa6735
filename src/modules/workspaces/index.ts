export {
  authenticate,
  createKey,
  createWorkspace,
  forgetCachedKeys,
  getWorkspace,
  listKeys,
  listWorkspaces,
  revokeKey,
  type ApiKeyInfo,
  type CreatedWorkspace,
  type KeyKind,
  type Workspace,
} from './service.js';
export { registerWorkspaceRoutes } from './routes.js';
