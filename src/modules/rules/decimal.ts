/**
 * Exact decimal arithmetic for the real-time evaluator, so it agrees with PostgreSQL's `numeric` to the last digit
 * (binary floats would make `0.1 + 0.2 > 0.3` true in JS and false in SQL). A number is read through its shortest
 * decimal form, which is also how it was written into jsonb.
 */
export interface Decimal {
  units: bigint;
  scale: number;
}

export function decimal(value: number): Decimal {
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!match) throw new Error(`not a finite number: ${text}`);
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  let digits = `${whole}${fraction}`;
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const units = BigInt(digits) * (sign === '-' ? -1n : 1n);
  return { units, scale };
}

const pow10 = (n: number) => 10n ** BigInt(n);

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * pow10(scale - a.scale), b.units * pow10(scale - b.scale), scale];
}

export function add(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return { units: x + y, scale };
}

export function multiplyInt(a: Decimal, n: number): Decimal {
  return { units: a.units * BigInt(n), scale: a.scale };
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const ZERO: Decimal = { units: 0n, scale: 0 };

export function sum(values: Decimal[]): Decimal {
  return values.reduce(add, ZERO);
}
