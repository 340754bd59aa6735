import type { Command } from 'commander';
import type { CreatedWorkspace } from '../../modules/workspaces/index.js';
import { createUser, type User } from '../../modules/users/index.js';
import { callServer, openTarget } from './target.js';

export function registerWorkspaceCommands(program: Command): void {
  const workspace = program.command('workspace').description('manage workspaces (tenants)');
  workspace
    .command('create')
    .description('create a workspace with a write key and an admin token')
    .requiredOption('--name <name>', 'workspace name')
    .option('--timezone <tz>', 'IANA time zone', 'Asia/Shanghai')
    .option('--data <dir>', 'embedded data folder')
    .option('--json', 'print JSON')
    .option('--owner-email <email>', 'also create the console owner user with this email')
    .option('--owner-password <password>', "the owner's password (at least 8 characters)")
    .action(async (opts: { name: string; timezone: string; data?: string; json?: boolean; ownerEmail?: string; ownerPassword?: string }) => {
      const { createWorkspace } = await import('../../modules/workspaces/index.js');
      const target = await openTarget({ data: opts.data });
      try {
        const created =
          target.kind === 'direct'
            ? await createWorkspace(target.database.db, { name: opts.name, timezone: opts.timezone })
            : await callServer<CreatedWorkspace>(target, '/internal/v1/workspaces', { name: opts.name, timezone: opts.timezone });
        let owner: User | undefined;
        if (opts.ownerEmail || opts.ownerPassword) {
          const input = { workspaceId: created.id, email: opts.ownerEmail ?? '', password: opts.ownerPassword ?? '', role: 'owner' as const };
          owner = target.kind === 'direct' ? await createUser(target.database.db, created.id, input) : await callServer<User>(target, '/internal/v1/users', input);
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(owner ? { ...created, owner } : created, null, 2)}\n`);
        } else {
          process.stdout.write(
            `Created workspace ${created.id} (${created.name}) in ${target.describe}\n` +
              `  write key:   ${created.writeKey}\n  admin token: ${created.adminToken}\n` +
              `Keep both secret: they are shown only once.\n` +
              (owner ? `  console owner: ${owner.email} (sign in at the server's address)\n` : ''),
          );
        }
      } finally {
        await target.close();
      }
    });
}
