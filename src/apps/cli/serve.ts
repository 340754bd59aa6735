import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { databaseConfigFromEnv, describeDatabase } from '../../platform/config.js';
import { openDatabase } from '../../platform/db/database.js';
import { advertiseServer } from '../../platform/db/data-dir-lock.js';
import { migrateToLatest } from '../../platform/db/migrate.js';
import { buildServer } from '../server/server.js';
import { registerControlRoutes } from '../server/control.js';
import { startBackgroundWork } from '../server/background.js';

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('serve the API and the console')
    .option('--port <n>', 'port (env PORT)', process.env.PORT ?? '3000')
    .option('--host <host>', 'address to listen on (env HOST)', process.env.HOST ?? '127.0.0.1')
    .option('--data <dir>', 'embedded data folder (env SIYU_DATA_DIR)')
    .option('--no-demo', 'do not load the demo brand into an empty database')
    .action(async (opts: { port: string; host: string; data?: string; demo: boolean }) => {
      const cfg = databaseConfigFromEnv({ dataDir: opts.data });
      const database = await openDatabase(cfg);
      await migrateToLatest(database.db);
      const port = Number(opts.port);
      const publicUrl = process.env.SIYU_PUBLIC_URL ?? `http://${opts.host}:${port}`;
      const ctx = { database, publicUrl, demo: opts.demo };
      const app = await buildServer(ctx, { logger: true });
      const controlToken = randomBytes(24).toString('base64url');
      registerControlRoutes(app, ctx, controlToken);
      const background = await startBackgroundWork(ctx, { loadDemo: opts.demo, log: (m) => app.log.info(m) });
      await app.listen({ port, host: opts.host });
      if (!cfg.url && cfg.dataDir) advertiseServer(cfg.dataDir, `http://127.0.0.1:${port}`, controlToken);
      app.log.info(`Siyu is serving ${publicUrl} on ${describeDatabase(cfg)}`);
      const stop = async () => {
        await app.close();
        await background.stop();
        await database.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  program
    .command('migrate')
    .description('bring the database schema up to date')
    .option('--data <dir>', 'embedded data folder')
    .action(async (opts: { data?: string }) => {
      const cfg = databaseConfigFromEnv({ dataDir: opts.data });
      const database = await openDatabase(cfg);
      try {
        const results = await migrateToLatest(database.db);
        process.stdout.write(
          results.length ? results.map((r) => `applied ${r.migrationName}\n`).join('') : `${describeDatabase(cfg)} is up to date\n`,
        );
      } finally {
        await database.close();
      }
    });
}
