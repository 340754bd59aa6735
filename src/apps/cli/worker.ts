import type { Command } from 'commander';
import { databaseConfigFromEnv, describeDatabase } from '../../platform/config.js';
import { openDatabase } from '../../platform/db/database.js';
import { migrateToLatest } from '../../platform/db/migrate.js';
import { AppError } from '../../platform/errors.js';

/**
 * `siyu worker`: the background work without HTTP (rule evaluation, journeys, loyalty jobs, identity sweeps). On
 * PostgreSQL any number of them share the work with each other and with `siyu serve` (claims, leases and
 * `SKIP LOCKED` keep each piece of work in one place); `siyu serve --no-workers` then only answers requests.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('PostgreSQL only: run rule evaluation, journeys and loyalty jobs without serving HTTP (several may run)')
    .option('--public-url <url>', 'the public URL of the serving processes, for links in messages (env SIYU_PUBLIC_URL)', process.env.SIYU_PUBLIC_URL)
    .action(async (opts: { publicUrl?: string }) => {
      const cfg = databaseConfigFromEnv({});
      if (!cfg.url) {
        throw new AppError('invalid_request', 'siyu worker needs PostgreSQL (DATABASE_URL): an embedded data folder belongs to one process, and `siyu serve` runs the workers itself');
      }
      const { buildServer } = await import('../server/server.js');
      const { addBackgroundStarter, startBackgroundWork } = await import('../server/background.js');
      const { settleIdentitiesInBackground } = await import('../server/startup.js');
      const { configureSecretKey } = await import('../../modules/channels/index.js');
      const database = await openDatabase(cfg);
      await migrateToLatest(database.db);
      configureSecretKey(cfg);
      const ctx = { database, publicUrl: opts.publicUrl ?? 'http://127.0.0.1:3000', demo: false };
      // Building the app (never listened on) registers every module's background starters, as serving does.
      const app = await buildServer(ctx);
      addBackgroundStarter(settleIdentitiesInBackground);
      const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);
      const background = await startBackgroundWork(ctx, { loadDemo: false, log, roles: ['worker'] });
      log(`siyu worker running on ${describeDatabase(cfg)}`);
      process.stdout.write('ready\n');
      const stop = async () => {
        await background.stop();
        await app.close();
        await database.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
