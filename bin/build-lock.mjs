// One build at a time across processes: a directory is created atomically; a lock older than 10 minutes is stale.
import fs from 'node:fs';

export function withBuildLock(lockDir, what, fn) {
  const started = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch {
      const stat = fs.statSync(lockDir, { throwIfNoEntry: false });
      if (stat && Date.now() - stat.mtimeMs > 10 * 60_000) fs.rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() - started > 15 * 60_000) throw new Error(`waited 15 minutes for another ${what} build (${lockDir})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  const release = () => fs.rmSync(lockDir, { recursive: true, force: true });
  let result;
  try {
    result = fn();
  } catch (err) {
    release();
    throw err;
  }
  // An asynchronous build keeps the lock until it settles.
  if (result && typeof result.then === 'function') return result.finally(release);
  release();
  return result;
}

/** The newest modification time of a file or of anything under a folder (0 when missing). */
export function newestMtime(target) {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target)) newest = Math.max(newest, newestMtime(`${target}/${entry}`));
  return newest;
}
