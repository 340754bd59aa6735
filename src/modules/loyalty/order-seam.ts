import type { Db } from '../../platform/db/database.js';
import { returnCouponsForOrder } from './coupon-redeem.js';
import { settlePointsForOrders } from './order-points.js';

/**
 * Called after orders are written (see platform/hooks.ts onOrdersWritten): settles each order's points from its
 * current state, and gives back coupons of fully refunded or cancelled orders (where their template says so).
 * Idempotent, so a retried request or a repeated call changes nothing.
 */
export async function settleLoyaltyForOrders(db: Db, workspaceId: string, orderIds: string[]): Promise<void> {
  await settlePointsForOrders(db, workspaceId, orderIds);
  const undone = await db
    .selectFrom('orders')
    .select('order_id')
    .where('workspace_id', '=', workspaceId)
    .where('order_id', 'in', orderIds)
    .where('status', 'in', ['refunded', 'cancelled'])
    .execute();
  for (const o of undone) await returnCouponsForOrder(db, workspaceId, o.order_id);
}
