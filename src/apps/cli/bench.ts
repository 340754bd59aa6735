import type { Command } from 'commander';
import { AppError, invalid } from '../../platform/errors.js';
import { openTarget } from './target.js';

/** `siyu bench seed`: bulk synthetic data for the rules-tier benchmarks (docs/benchmarks.md). */
export function registerBenchCommands(program: Command): void {
  const bench = program.command('bench').description('benchmark helpers');
  bench
    .command('seed')
    .description('create a workspace filled with seeded synthetic profiles, events and orders (written directly, not through ingest)')
    .requiredOption('--profiles <n>', 'how many profiles (events and orders scale with it)')
    .option('--events-per-profile <n>', 'events per profile on average', '10')
    .option('--orders-per-profile <n>', 'orders per profile on average', '2')
    .option('--seed <x>', 'random seed between -1 and 1 (same seed, same data)', '0.42')
    .option('--name <name>', 'name of the new workspace', 'bench')
    .option('--json', 'print the result as JSON')
    .option('--data <dir>', 'embedded data folder')
    .action(async (opts: { profiles: string; eventsPerProfile: string; ordersPerProfile: string; seed: string; name: string; json?: boolean; data?: string }) => {
      const numberOf = (flag: string, value: string) => {
        const n = Number(value);
        if (!Number.isFinite(n) || n < 0) throw invalid(`${flag} must be a non-negative number, got "${value}"`);
        return n;
      };
      const profiles = numberOf('--profiles', opts.profiles);
      const seed = numberOf('--seed', opts.seed);
      if (seed > 1) throw invalid('--seed must be between -1 and 1');
      const { seedSyntheticData } = await import('../../modules/demo/index.js');
      const { createWorkspace } = await import('../../modules/workspaces/index.js');
      const target = await openTarget({ data: opts.data });
      try {
        if (target.kind !== 'direct') {
          throw new AppError('data_dir_locked', `${target.describe} holds the data folder: stop it to seed benchmark data, or set DATABASE_URL to use PostgreSQL`);
        }
        const { db } = target.database;
        const ws = await createWorkspace(db, { name: opts.name });
        const started = Date.now();
        const result = await seedSyntheticData(db, ws.id, {
          profiles,
          eventsPerProfile: numberOf('--events-per-profile', opts.eventsPerProfile),
          ordersPerProfile: numberOf('--orders-per-profile', opts.ordersPerProfile),
          seed,
          onProgress: (p) => process.stderr.write(`\rseeding ${p.step}: ${p.done.toLocaleString('en')}/${p.total.toLocaleString('en')}   `),
        });
        process.stderr.write('\n');
        const seconds = (Date.now() - started) / 1000;
        const out = { workspaceId: ws.id, adminToken: ws.adminToken, writeKey: ws.writeKey, ...result, seconds };
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(out)}\n`
            : `Seeded workspace ${ws.id} in ${target.describe}: ${result.profiles} profiles, ${result.events} events, ${result.orders} orders in ${seconds.toFixed(1)} s.\n  admin token: ${ws.adminToken}\n`,
        );
      } finally {
        await target.close();
      }
    });
}
