import { describe, expect, it } from 'vitest';
import { databaseConfigFromEnv, envNumber } from '../../src/platform/config.js';

describe('envNumber', () => {
  it('takes the default when the variable is unset or blank (Number("") would be 0)', () => {
    expect(envNumber('X', 300, {})).toBe(300);
    expect(envNumber('X', 300, { X: '' })).toBe(300);
    expect(envNumber('X', 300, { X: '  ' })).toBe(300);
  });

  it('reads a number, including 0', () => {
    expect(envNumber('X', 300, { X: '0' })).toBe(0);
    expect(envNumber('X', 300, { X: ' 1500 ' })).toBe(1500);
    expect(envNumber('X', 300, { X: '1e3' })).toBe(1000);
  });

  it('refuses anything else by name', () => {
    expect(() => envNumber('SIYU_INGEST_INTAKE_THRESHOLD', 300, { SIYU_INGEST_INTAKE_THRESHOLD: 'lots' })).toThrow(
      'SIYU_INGEST_INTAKE_THRESHOLD must be a number, got "lots"',
    );
    expect(() => envNumber('X', 1, { X: 'Infinity' })).toThrow('X must be a number');
  });
});

describe('databaseConfigFromEnv', () => {
  it('leaves the pool size to the default when SIYU_DB_POOL is blank', () => {
    const before = process.env.SIYU_DB_POOL;
    try {
      process.env.SIYU_DB_POOL = '';
      expect(databaseConfigFromEnv({ url: 'postgres://x' }).poolSize).toBeUndefined();
      process.env.SIYU_DB_POOL = '7';
      expect(databaseConfigFromEnv({ url: 'postgres://x' }).poolSize).toBe(7);
    } finally {
      if (before === undefined) delete process.env.SIYU_DB_POOL;
      else process.env.SIYU_DB_POOL = before;
    }
  });
});
