import type { Command } from 'commander';
import { createWorkspace, type CreatedWorkspace } from '../../modules/workspaces/index.js';
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
    .action(async (opts: { name: string; timezone: string; data?: string; json?: boolean }) => {
      const target = await openTarget({ data: opts.data });
      try {
        const created =
          target.kind === 'direct'
            ? await createWorkspace(target.database.db, { name: opts.name, timezone: opts.timezone })
            : await callServer<CreatedWorkspace>(target, '/internal/v1/workspaces', { name: opts.name, timezone: opts.timezone });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
        } else {
          process.stdout.write(
            `Created workspace ${created.id} (${created.name}) in ${target.describe}\n` +
              `  write key:   ${created.writeKey}\n  admin token: ${created.adminToken}\n` +
              `Keep both secret: they are shown only once.\n`,
          );
        }
      } finally {
        await target.close();
      }
    });
}
