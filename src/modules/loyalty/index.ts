/** The loyalty module's public API: points ledger, order points seam, coupons, members and tiers, check-in, mall. */
export { getLoyaltySettings, updateLoyaltySettings } from './settings.js';
export {
  adjustPoints,
  earnPoints,
  expireDuePoints,
  getPointsAccount,
  listPointsEntries,
  profilesWithPointsExpiring,
  redeemPoints,
  reversePoints,
  type PointsAccount,
  type PointsRequest,
} from './points.js';
export { releaseDuePending } from './pending.js';
export { settleOrderPoints, settlePointsForOrders, type OrderSettlement, type OrderSnapshot } from './order-points.js';
export { settleLoyaltyForOrders } from './order-seam.js';
export type { LedgerResult } from './ledger.js';
export { deleteLoyaltyRows, remapLoyaltyRows } from './remap.js';
export { createCouponTemplate, getCouponTemplate, listCouponTemplates, updateCouponTemplate } from './coupon-templates.js';
export { claimSharedCode, expireDueCoupons, issueCoupon, listCoupons, newCouponCode, voidCoupon, type IssueOptions } from './coupons.js';
export { redeemCoupons, returnCouponsForOrder, type AppliedCoupon } from './coupon-redeem.js';
export { createCouponCampaign, getCouponCampaign, listCouponCampaigns, runCouponCampaign } from './coupon-campaigns.js';
export { applyTierChange, authenticateMember, bindMemberCard, getMember, getMemberByNumber, issueMemberToken, revokeMemberTokens } from './members.js';
export { evaluateTiers, listTiers, qualifyingValue, retier, setTiers, tierHistory } from './tiers.js';
export { pointsMultiplierOf, tierOf } from './benefits.js';
export { awardEventPoints } from './event-points.js';
export { checkIn, checkinCalendar, makeUpCheckIn } from './checkin.js';
export { createMallItem, exchangeMallItem, listMallItems, MallItemInput, updateMallItem } from './mall.js';
export { couponFunnel, pointsFlow, pointsLiability, tierReport } from './reports.js';
export { registerLoyaltyRoutes, runLoyaltyJob } from './routes.js';
export { loyaltyFacts, type LoyaltyFacts } from './facts.js';
export { announceExpiringPoints } from './expiry-notice.js';
export { grantBirthdayGifts } from './birthday.js';
