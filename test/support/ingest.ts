import type { FastifyInstance } from 'fastify';
import { basic, bearer } from './app.js';

let seq = 0;
/** A unique message id per call, so tests never collide across workspaces or runs. */
export const mid = (label = 'm') => `${label}-${process.pid}-${++seq}`;

export async function sendBatch(app: FastifyInstance, writeKey: string, batch: unknown[]) {
  return app.inject({ method: 'POST', url: '/v1/batch', headers: basic(writeKey), payload: { batch } });
}

export async function lookup(app: FastifyInstance, adminToken: string, type: string, value: string) {
  const res = await app.inject({ method: 'GET', url: `/api/v1/profiles/lookup?type=${encodeURIComponent(type)}&value=${encodeURIComponent(value)}`, headers: bearer(adminToken) });
  return res;
}

export async function profileOf(app: FastifyInstance, adminToken: string, type: string, value: string): Promise<{ id: number; traits: Record<string, unknown>; identifiers: { type: string; value: string }[]; merges: { id: number; kind: string; otherProfileId: number }[]; conflicts: unknown[] }> {
  const res = await lookup(app, adminToken, type, value);
  if (res.statusCode !== 200) throw new Error(`lookup ${type}=${value}: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function timeline(app: FastifyInstance, adminToken: string, profileId: number) {
  const res = await app.inject({ method: 'GET', url: `/api/v1/profiles/${profileId}/events?limit=500`, headers: bearer(adminToken) });
  if (res.statusCode !== 200) throw new Error(`timeline: ${res.statusCode} ${res.body}`);
  return (res.json() as { data: Array<{ kind: string; id: string; event: string | null; type: string; timestamp: string; properties: Record<string, unknown> | null }> }).data;
}
