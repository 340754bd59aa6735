import { AppError } from '../../platform/errors.js';
import type { ImportKind } from './apply.js';
import { IDENTIFIER_TYPES, memberColumn, orderRow, refundRow } from './columns.js';

const IDENTIFIER_HINT = 'member_no (会员卡号), phone (手机号), email (邮箱), user_id, wechat_openid, wechat_unionid or wecom_external_userid';

/**
 * A CSV header that cannot work is refused before any row is read: a file without an identifier column would
 * otherwise be imported as one reject per row (a 100,000-row file, 100,000 times "no identifier"), and a column
 * named twice leaves which of its two values counts to chance. Throws with what the header needs and what it has.
 */
export function checkHeader(kind: ImportKind, columns: string[]): void {
  const seen = new Map<string, number>();
  for (const [i, name] of columns.entries()) {
    const before = seen.get(name);
    if (before !== undefined) throw new AppError('invalid_request', `the header names column "${name}" twice (columns ${before + 1} and ${i + 1}): rename or remove one`);
    seen.set(name, i);
  }
  const listed = columns.slice(0, 12).join(', ') + (columns.length > 12 ? ', …' : '');
  const has = (canonical: (name: string) => string, wanted: (c: string) => boolean) => columns.some((name) => wanted(canonical(name)));
  if (kind === 'members') {
    if (!has((n) => memberColumn(n).key, (c) => IDENTIFIER_TYPES.has(c))) {
      throw new AppError('invalid_request', `the header has no identifier column: a member file needs one of ${IDENTIFIER_HINT}; its columns are ${listed}`);
    }
    return;
  }
  if (kind === 'orders') {
    const canonical = (n: string) => Object.keys(orderRow({ [n]: '' }))[0] ?? n;
    if (!has(canonical, (c) => c === 'order_id')) throw new AppError('invalid_request', `the header has no order number column (order_id or 订单号); its columns are ${listed}`);
    if (!has(canonical, (c) => IDENTIFIER_TYPES.has(c))) {
      throw new AppError('invalid_request', `the header has no customer column: an order file needs one of ${IDENTIFIER_HINT}; its columns are ${listed}`);
    }
    return;
  }
  const canonical = (n: string) => Object.keys(refundRow({ [n]: '' }))[0] ?? n;
  for (const [column, name] of [['order_id', 'order_id or 订单号'], ['refund_id', 'refund_id or 退款单号']] as const) {
    if (!has(canonical, (c) => c === column)) throw new AppError('invalid_request', `the header has no ${name} column; its columns are ${listed}`);
  }
}
