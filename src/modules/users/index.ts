export { createUser, getUser, inviteUser, listUsers, signIn, updateUser, acceptInvitation } from './service.js';
export { authenticateSession, rememberTokenPrincipal } from './authenticate.js';
export { principalOf, maskPhone, maskPhones, guideServesProfile, type Principal } from './access.js';
export { deleteExpiredSessions, SESSION_COOKIE } from './sessions.js';
export { registerUserRoutes, DEMO_LOGIN } from './routes.js';
export { UserRole, User } from './schema.js';
