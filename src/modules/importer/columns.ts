/**
 * Column names and cell values as Chinese shop and CRM exports write them. A member file from Youzan, Weimob or a
 * store's Excel says 手机号 and 会员卡号, not phone and member_no; an order export says 订单号, 实付金额 ¥1,298.00 and
 * 已退款. Known names map to the importer's own (lower case, any surrounding spaces); other columns keep their name
 * (a member trait, or an order column the importer does not read). All lookups are Maps: a column named
 * `constructor` is just a column.
 */

const map = (entries: Record<string, string[]>) => new Map(Object.entries(entries).flatMap(([canonical, names]) => names.map((n) => [n, canonical] as const)));

/** Identifier columns of member and order files: the column's canonical name → the identifier type. */
export const IDENTIFIER_TYPES = new Map<string, string>([
  ['user_id', 'userId'],
  ['anonymous_id', 'anonymousId'],
  ['member_no', 'member_no'],
  ['phone', 'phone'],
  ['email', 'email'],
  ['wechat_openid', 'wechat_openid'],
  ['wechat_unionid', 'wechat_unionid'],
  ['wecom_external_userid', 'wecom_external_userid'],
]);

const IDENTIFIER_NAMES = {
  user_id: ['user_id', 'userid', '用户id', '用户编号'],
  anonymous_id: ['anonymous_id', 'anonymousid', '匿名id'],
  member_no: ['member_no', 'memberno', 'member_number', '会员编号', '会员号', '会员卡号', '卡号', '会员id'],
  phone: ['phone', 'mobile', '手机', '手机号', '手机号码', '联系电话', '电话', '联系方式', '收货人手机号'],
  email: ['email', '邮箱', '电子邮箱', '邮件'],
  wechat_openid: ['wechat_openid', 'openid', '微信openid'],
  wechat_unionid: ['wechat_unionid', 'unionid', '微信unionid'],
  wecom_external_userid: ['wecom_external_userid', 'external_userid', '外部联系人id', '企微外部联系人id', '企业微信外部联系人id'],
};

const MEMBER_NAMES = map({
  ...IDENTIFIER_NAMES,
  joined_at: ['joined_at', '注册时间', '入会时间', '加入时间', '开卡时间', '成为会员时间'],
  created_at: ['created_at', '创建时间'],
  updated_at: ['updated_at', '更新时间'],
  // Traits the platform names in English (templates and rules use them); English headers keep their own spelling.
  name: ['姓名', '会员姓名', '客户姓名', '昵称'],
  gender: ['性别'],
  birthday: ['生日', '出生日期'],
  city: ['城市', '所在城市'],
  province: ['省份', '所在省份'],
});

const ORDER_NAMES = map({
  ...IDENTIFIER_NAMES,
  order_id: ['order_id', 'orderid', '订单号', '订单编号', '主订单号'],
  store_id: ['store_id', '门店', '门店编号', '门店id', '门店编码'],
  guide_id: ['guide_id', '导购', '导购编号', '导购id'],
  channel: ['channel', '渠道', '销售渠道', '订单来源', '来源渠道'],
  status: ['status', '订单状态', '状态'],
  currency: ['currency', '币种'],
  total_amount: ['total_amount', '订单金额', '订单总额', '商品总额', '订单总金额', '应付金额'],
  discount_amount: ['discount_amount', '优惠金额', '折扣金额', '优惠'],
  shipping_amount: ['shipping_amount', '运费'],
  paid_amount: ['paid_amount', '实付金额', '实收金额', '支付金额', '实付款'],
  refunded_amount: ['refunded_amount', '退款金额'],
  ordered_at: ['ordered_at', '下单时间', '订单创建时间', '创建时间'],
  paid_at: ['paid_at', '付款时间', '支付时间'],
  refunded_at: ['refunded_at', '退款时间'],
  cancelled_at: ['cancelled_at', '取消时间', '关闭时间'],
  sku: ['sku', '商品编码', '商品sku', 'sku编码', '货号', '规格编码'],
  item_name: ['item_name', '商品名称', '商品名', '商品'],
  category: ['category', '商品类目', '类目', '品类'],
  quantity: ['quantity', '数量', '购买数量', '商品数量'],
  price: ['price', '单价', '商品单价', '价格'],
});

/** A member column's canonical name, or its own name (trimmed) when it is not one the importer knows. */
export function memberColumn(raw: string): { key: string; known: boolean } {
  const key = raw.trim();
  const canonical = MEMBER_NAMES.get(key.toLowerCase());
  return canonical === undefined ? { key, known: false } : { key: canonical, known: true };
}

/** A CSV order row with its known columns under their canonical names (the first of two spellings wins). */
export function orderRow(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [raw, value] of Object.entries(record)) {
    const key = raw.trim();
    const canonical = ORDER_NAMES.get(key.toLowerCase()) ?? key;
    if (!Object.hasOwn(out, canonical) || out[canonical] === '' || out[canonical] === undefined) out[canonical] = value;
  }
  return out;
}

/** An order CSV row's order id, whatever its column is called. */
export function csvOrderId(record: Record<string, unknown>): string {
  for (const [raw, value] of Object.entries(record)) if (ORDER_NAMES.get(raw.trim().toLowerCase()) === 'order_id') return String(value ?? '');
  return String(record.orderId ?? '');
}

const STATUSES = map({
  pending: ['pending', 'unpaid', '待付款', '待支付', '未付款', '等待买家付款'],
  paid: ['paid', 'completed', 'complete', 'success', '已付款', '已支付', '待发货', '已发货', '待收货', '已收货', '已完成', '交易成功', '交易完成'],
  partially_refunded: ['partially_refunded', 'partially refunded', '部分退款', '部分退款成功'],
  refunded: ['refunded', '已退款', '退款成功', '全额退款', '全部退款'],
  cancelled: ['cancelled', 'canceled', 'voided', '已取消', '交易关闭', '已关闭', '交易取消', '订单关闭'],
});

/** An order status as exports write it (已付款, 交易关闭, Paid); an unknown one is left for validation to name. */
export function orderStatus(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return STATUSES.get(value.trim().toLowerCase()) ?? value;
}

const GENDERS = map({ female: ['女', '女性', 'f', 'female'], male: ['男', '男性', 'm', 'male'] });

/** A gender cell as the platform's traits hold it (female, male); anything else as given. */
export function genderValue(value: unknown): unknown {
  return typeof value === 'string' ? (GENDERS.get(value.trim().toLowerCase()) ?? value) : value;
}

/**
 * A money or count cell as a number: ¥1,298.00, ￥398, 398元, RMB 398 and 1,298.00 are 1298, 398, 398, 398 and
 * 1298. Empty is undefined; text that is still not a number stays text, so validation names it.
 */
export function amount(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return Number(value);
  let text = value.trim().replace(/^(?:¥|￥|rmb|cny)\s*/i, '').replace(/\s*(?:元|rmb|cny)$/i, '');
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(text)) text = text.replaceAll(',', '');
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : value;
}

const REFUND_NAMES = map({
  order_id: ['order_id', 'orderid', '订单号', '订单编号', '主订单号'],
  refund_id: ['refund_id', 'refundid', '退款单号', '退款编号', '售后单号', '退款id', '售后编号'],
  amount: ['amount', 'refund_amount', 'refunded_amount', '退款金额', '实退金额'],
  refunded_at: ['refunded_at', '退款时间', '退款完成时间', '售后完成时间'],
  sku: ['sku', '商品编码', '商品sku', 'sku编码', '货号', '规格编码'],
  quantity: ['quantity', '退款数量', '退货数量', '数量'],
});

/** A CSV refund row with its known columns under their canonical names. */
export function refundRow(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [raw, value] of Object.entries(record)) {
    const key = raw.trim();
    const canonical = REFUND_NAMES.get(key.toLowerCase()) ?? key;
    if (!Object.hasOwn(out, canonical) || out[canonical] === '' || out[canonical] === undefined) out[canonical] = value;
  }
  return out;
}

/** A refund CSV row's refund id, whatever its column is called. */
export function csvRefundId(record: Record<string, unknown>): string {
  for (const [raw, value] of Object.entries(record)) if (REFUND_NAMES.get(raw.trim().toLowerCase()) === 'refund_id') return String(value ?? '');
  return String(record.refundId ?? '');
}
