import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { listWorkspaces } from '../../modules/workspaces/index.js';

/** `--workspace` may be an id or a name; without it, the only workspace there is. */
export async function resolveWorkspaceId(db: Db, given?: string): Promise<string> {
  const all = await listWorkspaces(db);
  if (given) {
    const hit = all.find((w) => w.id === given) ?? all.find((w) => w.name === given);
    if (!hit) throw new AppError('not_found', `no workspace "${given}"; there are: ${all.map((w) => `${w.id} (${w.name})`).join(', ') || 'none'}`);
    return hit.id;
  }
  if (all.length === 1) return all[0]!.id;
  if (!all.length) throw new AppError('not_found', 'there is no workspace yet: run `siyu workspace create --name NAME` or `siyu demo`');
  throw new AppError('invalid_request', `several workspaces exist; choose one with --workspace: ${all.map((w) => `${w.id} (${w.name})`).join(', ')}`);
}
