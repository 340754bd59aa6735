import type { Db } from '../../platform/db/database.js';
import type { UsersTable } from '../../platform/db/schema.js';
import { AppError, invalid, notFound, unauthorized } from '../../platform/errors.js';
import { newId, newSecret } from '../../platform/ids.js';
import type { Selectable } from 'kysely';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import { createSession, deleteUserSessions, hashToken } from './sessions.js';
import { Email, NewUser, Password, WorkspaceChoiceRequired, type User, type UserChange, type UserRole } from './schema.js';

const INVITE_DAYS = 7;

/** Creates an active user with a password (first owner from the CLI, the demo login). */
export async function createUser(
  db: Db,
  workspaceId: string,
  input: { email: string; password: string; role: UserRole; name?: string; guideId?: string },
): Promise<User> {
  const email = Email.safeParse(input.email);
  if (!email.success) throw invalid(`invalid email: ${input.email}`, [{ path: 'email', message: 'not an email address' }]);
  if (!Password.safeParse(input.password).success) throw invalid('password must have at least 8 characters', [{ path: 'password', message: 'at least 8 characters' }]);
  const name = input.name ?? email.data.split('@')[0] ?? email.data;
  const fields = parseNewUser({ email: email.data, name, role: input.role, guideId: input.guideId });
  await checkGuide(db, workspaceId, fields.role, fields.guideId ?? null);
  const row = await insertUser(db, workspaceId, { ...fields, password_hash: await hashPassword(input.password) });
  return toUser(row);
}

/** An owner invites someone: the user exists at once (role fixed), and sets a password through the link. */
export async function inviteUser(db: Db, workspaceId: string, input: NewUser, invitedBy: string): Promise<User & { inviteToken: string; inviteExpiresAt: Date }> {
  const fields = parseNewUser(input);
  await checkGuide(db, workspaceId, fields.role, fields.guideId ?? null);
  const inviteToken = newSecret('inv');
  const inviteExpiresAt = new Date(Date.now() + INVITE_DAYS * 86_400_000);
  const row = await insertUser(db, workspaceId, {
    ...fields,
    invite_token_hash: hashToken(inviteToken),
    invite_expires_at: inviteExpiresAt,
    invited_by: invitedBy,
  });
  return { ...toUser(row), inviteToken, inviteExpiresAt };
}

/** What the invitation page shows before the invitee chooses a password. */
export async function describeInvitation(db: Db, token: string): Promise<{ email: string; name: string; workspaceName: string }> {
  const row = await db
    .selectFrom('users as u')
    .innerJoin('workspaces as w', 'w.id', 'u.workspace_id')
    .select(['u.email', 'u.name', 'u.invite_expires_at', 'w.name as workspaceName'])
    .where('u.invite_token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || !row.invite_expires_at || row.invite_expires_at.getTime() < Date.now()) throw notFound('invitation');
  return { email: row.email, name: row.name, workspaceName: row.workspaceName };
}

export async function acceptInvitation(db: Db, input: { token: string; password: string; name?: string }, userAgent?: string) {
  const row = await db.selectFrom('users').selectAll().where('invite_token_hash', '=', hashToken(input.token)).executeTakeFirst();
  if (!row || !row.invite_expires_at || row.invite_expires_at.getTime() < Date.now() || row.disabled_at) throw notFound('invitation');
  const updated = await db
    .updateTable('users')
    .set({ password_hash: await hashPassword(input.password), invite_token_hash: null, invite_expires_at: null, name: input.name ?? row.name, last_sign_in_at: new Date() })
    .where('workspace_id', '=', row.workspace_id)
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const session = await createSession(db, row.workspace_id, row.id, userAgent);
  return { user: toUser(updated), workspaceId: row.workspace_id, ...session };
}

/**
 * Checks an email and password. One person may belong to several workspaces: when the password opens more than
 * one of them and no `workspaceId` says which, nothing is signed in and the answer lists them to choose from
 * (`workspace_choice_required`). An unknown email costs as much time as a wrong password.
 */
export async function signIn(db: Db, input: { email: string; password: string; workspaceId?: string }, userAgent?: string) {
  let query = db.selectFrom('users').selectAll().where('email', '=', input.email).where('disabled_at', 'is', null).where('password_hash', 'is not', null);
  if (input.workspaceId) query = query.where('workspace_id', '=', input.workspaceId);
  const candidates = await query.orderBy('created_at').execute();
  if (candidates.length === 0) await burnPasswordCheck(input.password);
  const matching: typeof candidates = [];
  for (const row of candidates) if (await verifyPassword(row.password_hash!, input.password)) matching.push(row);
  const [row] = matching;
  if (!row) throw unauthorized('wrong email or password');
  if (matching.length > 1) throw await workspaceChoice(db, matching.map((m) => m.workspace_id));
  await db.updateTable('users').set({ last_sign_in_at: new Date() }).where('workspace_id', '=', row.workspace_id).where('id', '=', row.id).execute();
  const session = await createSession(db, row.workspace_id, row.id, userAgent);
  return { user: toUser(row), workspaceId: row.workspace_id, ...session };
}

/** The answer when the password opens several workspaces; only someone who knows it learns their names. */
async function workspaceChoice(db: Db, workspaceIds: string[]): Promise<WorkspaceChoiceRequired> {
  const rows = await db.selectFrom('workspaces').select(['id', 'name']).where('id', 'in', workspaceIds).execute();
  const byId = new Map(rows.map((w) => [w.id, w]));
  const workspaces = workspaceIds.flatMap((id) => { const w = byId.get(id); return w ? [{ id: w.id, name: w.name }] : []; });
  return new WorkspaceChoiceRequired(workspaces);
}

export async function getUser(db: Db, workspaceId: string, userId: string): Promise<User> {
  const row = await db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', userId).executeTakeFirst();
  if (!row) throw notFound(`user ${userId}`);
  return toUser(row);
}

export async function listUsers(db: Db, workspaceId: string): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').execute();
  return rows.map(toUser);
}

/** Changes a user's name, role, guide link or access. The workspace always keeps one active owner. */
export async function updateUser(db: Db, workspaceId: string, userId: string, change: UserChange): Promise<User> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', userId).forUpdate().executeTakeFirst();
    if (!row) throw notFound(`user ${userId}`);
    const role = change.role ?? row.role;
    const guideId = change.guideId === undefined ? row.guide_id : change.guideId;
    await checkGuide(trx, workspaceId, role, guideId);
    const disabled = change.disabled === undefined ? row.disabled_at !== null : change.disabled;
    if (row.role === 'owner' && !row.disabled_at && (role !== 'owner' || disabled)) {
      const owners = await trx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('role', '=', 'owner')
        .where('disabled_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (Number(owners.n) <= 1) throw new AppError('conflict', 'the workspace must keep at least one active owner');
    }
    const updated = await trx
      .updateTable('users')
      .set({
        name: change.name ?? row.name,
        role,
        guide_id: role === 'guide' ? guideId : null,
        disabled_at: disabled ? (row.disabled_at ?? new Date()) : null,
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', userId)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (disabled || role !== row.role) await deleteUserSessions(trx, workspaceId, userId);
    return toUser(updated);
  });
}

function parseNewUser(input: NewUser): NewUser {
  const parsed = NewUser.safeParse(input);
  if (!parsed.success) throw invalid(`invalid user: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

async function checkGuide(db: Db, workspaceId: string, role: UserRole, guideId: string | null): Promise<void> {
  if (role !== 'guide') return;
  if (!guideId) throw invalid('a guide user needs guideId: the guide whose customers they see', [{ path: 'guideId', message: 'required for role guide' }]);
  const guide = await db.selectFrom('guides').select('id').where('workspace_id', '=', workspaceId).where('id', '=', guideId).executeTakeFirst();
  if (!guide) throw invalid(`guide ${guideId} does not exist`, [{ path: 'guideId', message: 'unknown guide' }]);
}

async function insertUser(db: Db, workspaceId: string, fields: NewUser & Partial<Pick<Selectable<UsersTable>, 'password_hash' | 'invite_token_hash' | 'invite_expires_at' | 'invited_by'>>) {
  const { email, name, role, guideId, ...secrets } = fields;
  const existing = await db.selectFrom('users').select('id').where('workspace_id', '=', workspaceId).where('email', '=', email).executeTakeFirst();
  if (existing) throw new AppError('conflict', `a user with email ${email} already exists in this workspace`);
  return db
    .insertInto('users')
    .values({ workspace_id: workspaceId, id: newId('usr', 12), email, name, role, guide_id: role === 'guide' ? (guideId ?? null) : null, ...secrets })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function toUser(row: Selectable<UsersTable>): User {
  const status = row.disabled_at ? 'disabled' : row.password_hash ? 'active' : 'invited';
  return { id: row.id, email: row.email, name: row.name, role: row.role, guideId: row.guide_id, status, createdAt: row.created_at, lastSignInAt: row.last_sign_in_at };
}
