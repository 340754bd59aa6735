import net from 'node:net';
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { databaseConfigFromEnv, describeDatabase } from '../../platform/config.js';
import { openDatabase } from '../../platform/db/database.js';
import { advertiseServer } from '../../platform/db/data-dir-lock.js';
import { migrateToLatest } from '../../platform/db/migrate.js';
import { AppError } from '../../platform/errors.js';
import { callServer, openTarget } from './target.js';

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('serve the API and the console')
    .option('--port <n>', 'port (env PORT)', process.env.PORT ?? '3000')
    .option('--host <host>', 'address to listen on (env HOST)', process.env.HOST ?? '127.0.0.1')
    .option('--data <dir>', 'embedded data folder (env SIYU_DATA_DIR)')
    .option('--no-demo', 'do not load the demo brand into an empty database')
    .option('--no-workers', 'PostgreSQL only: answer HTTP, and leave rules, journeys and loyalty jobs to `siyu worker` processes')
    .action(async (opts: { port: string; host: string; data?: string; demo: boolean; workers: boolean }) => {
      // Loaded here, not at the top: other commands start without loading the whole server.
      const { buildServer } = await import('../server/server.js');
      const { registerControlRoutes } = await import('../server/control.js');
      const { addBackgroundStarter, startBackgroundWork } = await import('../server/background.js');
      const { loadDemoInBackground, settleIdentitiesInBackground } = await import('../server/startup.js');
      const cfg = databaseConfigFromEnv({ dataDir: opts.data });
      if (!opts.workers && !cfg.url) throw new AppError('invalid_request', '--no-workers needs PostgreSQL (DATABASE_URL): an embedded data folder belongs to one process, which runs the workers itself');
      if (!/^\d{1,5}$/.test(String(opts.port)) || Number(opts.port) > 65535) throw new AppError('invalid_request', `--port must be a number from 0 to 65535, got "${opts.port}"`);
      // Before anything starts (opening the data, migrating, the demo load, which cannot be cut short): a port that is
      // taken fails at once. The listen below still reports one taken meanwhile.
      await new Promise<void>((resolve, reject) => {
        const probe = net.createServer();
        probe.once('error', (err) => reject(listenError(err, Number(opts.port), opts.host)));
        probe.listen(Number(opts.port), opts.host, () => probe.close(() => resolve()));
      });
      const database = await openDatabase(cfg);
      await migrateToLatest(database.db);
      // Channel credentials are encrypted with SIYU_SECRET_KEY, or in embedded mode a key file in the data folder.
      const { configureSecretKey } = await import('../../modules/channels/index.js');
      configureSecretKey(cfg);
      const port = Number(opts.port);
      const publicUrl = process.env.SIYU_PUBLIC_URL ?? `http://${opts.host}:${port}`;
      const { demoLoadProgress } = await import('../../modules/demo/index.js');
      const ctx = { database, publicUrl, demo: opts.demo, demoProgress: demoLoadProgress };
      const app = await buildServer(ctx, { logger: true });
      const controlToken = randomBytes(24).toString('base64url');
      registerControlRoutes(app, ctx, controlToken);
      addBackgroundStarter(settleIdentitiesInBackground);
      addBackgroundStarter(loadDemoInBackground, 'serving');
      const roles = opts.workers ? (['serving', 'worker'] as const) : (['serving'] as const);
      const background = await startBackgroundWork(ctx, { loadDemo: opts.demo, log: (m) => app.log.info(m), roles: [...roles] });
      try {
        await app.listen({ port, host: opts.host });
      } catch (err) {
        // Nothing is served: stop what started (the demo load, the workers) and give the folder back, or the process
        // would go on loading in the background without ever answering.
        await app.close().catch(() => undefined);
        await background.stop();
        await database.close();
        throw listenError(err, port, opts.host);
      }
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
    .command('demo')
    .description('load the demo brand (a cosmetics brand: ~10,000 members, ~100,000 events, ~20,000 orders, 3 stores, 10 guides)')
    .option('--members <n>', 'how many members', '10000')
    .option('--data <dir>', 'embedded data folder')
    .action(async (opts: { members: string; data?: string }) => {
      const { loadDemoBrand } = await import('../../modules/demo/index.js');
      const target = await openTarget({ data: opts.data });
      try {
        const members = Number(opts.members);
        const result =
          target.kind === 'direct'
            ? await loadDemoBrand(target.database.db, {
                members,
                onProgress: (p) =>
                  process.stderr.write(
                    p.step === 'members'
                      ? `\rdemo brand: ${p.members}/${p.totalMembers} members, ${p.events} events, ${p.orders} orders`
                      : `\rdemo brand: ${p.members} members loaded; computing 30 days of lifecycle stages, RFM and journeys…`,
                  ),
              })
            : await callServer<Awaited<ReturnType<typeof loadDemoBrand>>>(target, '/internal/v1/demo', { members });
        process.stderr.write('\n');
        process.stdout.write(
          `Demo brand loaded into ${target.describe}: workspace ${result.workspaceId}, ${result.members} members, ${result.events} events, ${result.orders} orders.\n` +
            `  console login: ${result.login.email} / ${result.login.password}\n  write key:     ${result.writeKey}\n  admin token:   ${result.adminToken}\n`,
        );
      } finally {
        await target.close();
      }
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

/** Why the server could not listen, in words that say what to do. */
function listenError(err: unknown, port: number, host: string): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE') return new AppError('conflict', `port ${port} on ${host} is already in use: stop what is using it, or choose another port with --port N (or PORT=N)`);
  if (code === 'EACCES') return new AppError('forbidden', `not allowed to listen on port ${port} on ${host}: ports below 1024 need privileges; choose another with --port N (or PORT=N)`);
  if (code === 'EADDRNOTAVAIL') return new AppError('invalid_request', `${host} is not an address of this machine: choose another with --host (or HOST)`);
  return err;
}
