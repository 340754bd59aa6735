import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/platform/memory.js';

describe('collectGarbage', () => {
  it('runs a full collection on demand, without --expose-gc on the command line', () => {
    // Garbage that only a collection removes: a few MB of unreachable objects.
    let garbage: unknown[] | null = Array.from({ length: 200_000 }, (_, i) => ({ i, text: `row ${i}` }));
    const withGarbage = process.memoryUsage().heapUsed;
    garbage = null;
    collectGarbage();
    collectGarbage();
    expect(garbage).toBeNull();
    expect(process.memoryUsage().heapUsed).toBeLessThan(withGarbage);
  });
});
