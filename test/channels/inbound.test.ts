import { describe, expect, it } from 'vitest';
import { withinBudget } from '../../src/modules/channels/inbound.js';

describe('answering WeChat within its 5 s', () => {
  it("gives the work's own answer when it finishes in time", async () => {
    expect(await withinBudget(Promise.resolve('<xml>reply</xml>'), 1_000, 'success', () => {})).toBe('<xml>reply</xml>');
  });

  it('answers the fallback when the work runs past the budget, and still sees its late failure', async () => {
    let fail!: (err: Error) => void;
    const slow = new Promise<string>((_, reject) => (fail = reject));
    const late: unknown[] = [];
    expect(await withinBudget(slow, 20, 'success', (err) => late.push(err))).toBe('success');
    fail(new Error('ingest down'));
    await new Promise((r) => setImmediate(r));
    expect(late).toHaveLength(1);
  });

  it('passes an early failure on (the provider then retries)', async () => {
    await expect(withinBudget(Promise.reject(new Error('bad')), 1_000, 'success', () => {})).rejects.toThrow('bad');
  });
});
