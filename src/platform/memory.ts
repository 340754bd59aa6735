import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full garbage collection after one-off bulk work (the demo load), so the heap shrinks now rather than eventually:
 * the embedded server's memory is a target (issue 3: under 400 MB with the demo loaded).
 */
export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
