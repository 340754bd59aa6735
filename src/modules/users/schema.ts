import { z } from 'zod';
import { AppError } from '../../platform/errors.js';

/** The four console roles. Owners manage users; analysts only read; guides read only their own customers. */
export const UserRole = z.enum(['owner', 'operator', 'analyst', 'guide']);
export type UserRole = z.infer<typeof UserRole>;

export const Email = z.string().trim().toLowerCase().pipe(z.email().max(254));
export const Password = z.string().min(8, 'at least 8 characters').max(200);

export const User = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: UserRole,
  guideId: z.string().nullable().describe('for guides: the guide (guides table) whose customers they see'),
  status: z.enum(['active', 'invited', 'disabled']),
  createdAt: z.date(),
  lastSignInAt: z.date().nullable(),
});
export type User = z.infer<typeof User>;

export const NewUser = z.object({
  email: Email,
  name: z.string().trim().min(1).max(100),
  role: UserRole,
  guideId: z.string().min(1).optional(),
});
export type NewUser = z.infer<typeof NewUser>;

export const UserChange = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  role: UserRole.optional(),
  guideId: z.string().min(1).nullable().optional(),
  disabled: z.boolean().optional(),
});
export type UserChange = z.infer<typeof UserChange>;

export const SignIn = z.object({
  email: Email,
  password: z.string().min(1).max(200),
  workspaceId: z.string().optional().describe('when the email belongs to several workspaces'),
});

/** `POST /api/v1/session` when the email and password open several workspaces: sign in again with `workspaceId`. */
export const WorkspaceChoice = z.object({
  error: z.object({
    code: z.literal('workspace_choice_required'),
    message: z.string(),
    workspaces: z.array(z.object({ id: z.string(), name: z.string() })).describe('the workspaces this email and password open, oldest membership first'),
  }),
});

export class WorkspaceChoiceRequired extends AppError {
  constructor(readonly workspaces: { id: string; name: string }[]) {
    super('workspace_choice_required', 'this email and password open several workspaces: sign in again with workspaceId, one of error.workspaces');
  }
  override toJSON() {
    return WorkspaceChoice.parse({ error: { code: 'workspace_choice_required', message: this.message, workspaces: this.workspaces } });
  }
}

export const AcceptInvitation = z.object({
  token: z.string().min(1),
  password: Password,
  name: z.string().trim().min(1).max(100).optional(),
});

export const Me = z.object({
  kind: z.enum(['user', 'token']).describe('signed in with a session cookie, or calling with an admin token'),
  role: UserRole,
  workspace: z.object({ id: z.string(), name: z.string(), timezone: z.string() }),
  user: User.nullable(),
});
export type Me = z.infer<typeof Me>;

export const ConsoleConfig = z.object({
  demo: z.boolean(),
  demoLogin: z.object({ email: z.string(), password: z.string() }).nullable(),
  locales: z.array(z.string()),
  demoLoading: z
    .object({ step: z.enum(['members', 'lifecycle']), members: z.number().int(), totalMembers: z.number().int() })
    .nullable()
    .describe('while the demo brand loads on first start: members written so far, then its history being computed; null otherwise'),
});

export const Invitation = User.extend({
  inviteToken: z.string().describe('shown once: the link to accept the invitation carries it'),
  inviteUrl: z.string(),
  inviteExpiresAt: z.date(),
});
