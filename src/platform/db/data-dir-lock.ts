import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.js';

export interface DataDirLock {
  release(): void;
}

export interface DataDirOwner {
  pid: number;
  /** Where the owning server answers, if it is a server: lets CLI commands go through it. */
  url?: string;
  /** Secret for the server's control API (`/internal/v1/…`); the lock file is readable by its owner only. */
  controlToken?: string;
  startedAt: string;
}

const lockFile = (dataDir: string) => path.join(dataDir, 'siyu.lock');

/**
 * PGlite is one process's database: two processes opening the same folder would corrupt it.
 * A lock file (created with O_EXCL) names the owner; a lock left by a dead process is taken over.
 */
export function acquireDataDirLock(dataDir: string, owner: Omit<DataDirOwner, 'pid' | 'startedAt'> = {}): DataDirLock {
  const file = lockFile(dataDir);
  const me: DataDirOwner = { pid: process.pid, startedAt: new Date().toISOString(), ...owner };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          const current = readOwner(dataDir);
          if (current?.pid === process.pid) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
      process.once('exit', release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readOwner(dataDir);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new AppError(
          'data_dir_locked',
          `the data folder ${dataDir} is in use by process ${holder.pid}${holder.url ? ` (the Siyu server at ${holder.url})` : ''}. ` +
            `Commands such as \`siyu workspace create\`, \`siyu import\` and \`siyu demo\` go through that server by themselves; ` +
            `for this one, stop that process first, or use PostgreSQL (DATABASE_URL), which many processes can share.`,
        );
      }
      fs.rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new AppError('data_dir_locked', `could not lock the data folder ${dataDir}`);
}

/** Records the URL where the owning server answers, so CLI commands can find it. */
export function advertiseServer(dataDir: string, url: string, controlToken: string): void {
  const owner = readOwner(dataDir);
  if (owner?.pid !== process.pid) return;
  fs.writeFileSync(lockFile(dataDir), JSON.stringify({ ...owner, url, controlToken }), { mode: 0o600 });
}

export function readOwner(dataDir: string): DataDirOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(lockFile(dataDir), 'utf8')) as DataDirOwner;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
