import type { Db } from '../../platform/db/database.js';
import { returnCouponsOfUndoneOrders } from './coupon-redeem.js';
import { SETTLE_BATCH, settlePointsForOrders } from './order-points.js';

/**
 * Called after orders are written (see platform/hooks.ts onOrdersWritten): settles the orders' points from their
 * current state (set-based, SETTLE_BATCH orders per transaction), and gives back coupons of fully refunded or
 * cancelled orders (where their template says so). Idempotent, so a retried request or a repeated call changes
 * nothing.
 */
export async function settleLoyaltyForOrders(db: Db, workspaceId: string, orderIds: string[]): Promise<void> {
  await settlePointsForOrders(db, workspaceId, orderIds);
  for (let k = 0; k < orderIds.length; k += SETTLE_BATCH) await returnCouponsOfUndoneOrders(db, workspaceId, orderIds.slice(k, k + SETTLE_BATCH));
}
