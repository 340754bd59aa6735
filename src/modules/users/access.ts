import { sql } from 'kysely';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { UserRole } from './schema.js';
import type { SessionUser } from './sessions.js';

/** Who is calling the admin API: an admin token (full rights, like an owner) or a signed-in console user. */
export interface Principal {
  kind: 'token' | 'user';
  workspaceId: string;
  role: UserRole;
  userId: string | null;
  guideId: string | null;
}

const principals = new WeakMap<FastifyRequest, Principal>();

export function rememberPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request, principal);
}

/** The caller of an authenticated admin request (modules use it to scope data, e.g. a guide's customers). */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

export function requireOwner(request: FastifyRequest): Principal {
  const principal = principalOf(request);
  if (!principal || principal.role !== 'owner') throw new AppError('forbidden', 'only an owner can manage users');
  return principal;
}

const readMethods = new Set(['GET', 'HEAD']);

/** What a guide may open besides their customers' profiles. */
const guideRoutes = new Set(['/api/v1/me', '/api/v1/me/customers', '/api/v1/workspace']);

/**
 * Enforces a console user's role on one admin request, before the handler runs. Analysts read everything and
 * write nothing; guides read only their own customers (masked phones, see maskPhones) and nothing else.
 */
export async function authorizeSession(db: Db, session: SessionUser, request: FastifyRequest): Promise<void> {
  const method = request.method.toUpperCase();
  if (session.role === 'analyst' && !readMethods.has(method)) {
    throw new AppError('forbidden', 'analysts have read-only access: ask an owner or operator to make this change');
  }
  if (session.role !== 'guide') return;
  if (!readMethods.has(method)) throw new AppError('forbidden', 'guides have read-only access');
  const route = request.routeOptions.url ?? '';
  if (guideRoutes.has(route)) return;
  if (route.startsWith('/api/v1/profiles/:id')) {
    const id = Number((request.params as { id?: string }).id);
    if (Number.isSafeInteger(id) && session.guideId && (await guideServesProfile(db, session.workspaceId, session.guideId, id))) return;
    throw new AppError('forbidden', 'guides can only open their own customers');
  }
  throw new AppError('forbidden', 'guides can only see their own customers');
}

/**
 * A guide's customers: profiles the guide sold to (orders.guide_id) or that carry the guide in their traits
 * (`guideId` or `guide_id`, set when a customer adds the guide's WeCom account or joins at their store).
 */
export function guideCustomersQuery(db: Db, workspaceId: string, guideId: string) {
  return db
    .selectFrom('profiles as p')
    .where('p.workspace_id', '=', workspaceId)
    .where('p.merged_into', 'is', null)
    .where((eb) =>
      eb.or([
        eb(sql`p.traits->>'guideId'`, '=', guideId),
        eb(sql`p.traits->>'guide_id'`, '=', guideId),
        eb.exists(
          eb
            .selectFrom('orders as o')
            .select(sql`1`.as('one'))
            .where('o.workspace_id', '=', workspaceId)
            .whereRef('o.profile_id', '=', 'p.id')
            .where('o.guide_id', '=', guideId),
        ),
      ]),
    );
}

export async function guideServesProfile(db: Db, workspaceId: string, guideId: string, profileId: number): Promise<boolean> {
  const row = await guideCustomersQuery(db, workspaceId, guideId).select('p.id').where('p.id', '=', profileId).executeTakeFirst();
  return row !== undefined;
}

const phoneKeys = /^(phone|mobile|phone_?number|mobile_?phone|tel)$/i;
const phoneTypes = new Set(['phone', 'mobile']);

/** `13812345678` → `138****5678`: enough for a guide to recognise a customer, not to copy the number. */
export function maskPhone(value: string): string {
  const digits = value.replace(/\s+/g, '');
  if (digits.length < 8) return '****';
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

/** Masks phone numbers anywhere in a JSON answer: phone-like keys and `{ type: 'phone', value }` identifiers. */
export function maskPhones(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskPhones);
  if (!value || typeof value !== 'object') return value;
  const input = value as Record<string, unknown>;
  const isPhoneIdentifier = typeof input.type === 'string' && phoneTypes.has(input.type) && typeof input.value === 'string';
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(input)) {
    if (typeof inner === 'string' && (phoneKeys.test(key) || (isPhoneIdentifier && key === 'value'))) out[key] = maskPhone(inner);
    else out[key] = maskPhones(inner);
  }
  return out;
}
