import type { ImportKind } from './apply.js';

/**
 * Starter files for the console's "download a template" link: the columns the importer reads, under the names a
 * Chinese operator's Excel would use (or the importer's own English names), with one example row each that imports
 * cleanly as it is (tests import every template). Rows are Excel-friendly: dates as `2026-01-05 10:00` in the
 * workspace's zone, amounts as plain numbers, one line per order item.
 */
const TEMPLATES: Record<ImportKind, { zh: string[]; en: string[]; rows: string[][] }> = {
  members: {
    zh: ['会员卡号', '手机号', '姓名', '性别', '生日', '城市', '邮箱', '注册时间'],
    en: ['member_no', 'phone', 'name', 'gender', 'birthday', 'city', 'email', 'joined_at'],
    rows: [['LJ900001', '13800138000', '王芳', '女', '1992-05-12', '上海', 'wangfang@example.com', '2026-01-05 10:00']],
  },
  orders: {
    zh: ['订单号', '会员卡号', '手机号', '门店编号', '渠道', '订单状态', '订单金额', '优惠金额', '运费', '实付金额', '下单时间', '付款时间', '商品编码', '商品名称', '商品类目', '数量', '单价'],
    en: ['order_id', 'member_no', 'phone', 'store_id', 'channel', 'status', 'total_amount', 'discount_amount', 'shipping_amount', 'paid_amount', 'ordered_at', 'paid_at', 'sku', 'item_name', 'category', 'quantity', 'price'],
    rows: [
      ['SO900001', 'LJ900001', '13800138000', '', 'mini_program', '已付款', '537', '40', '0', '497', '2026-01-06 20:15', '2026-01-06 20:16', 'LJ-SERUM-30', '澜肌精华液 30ml', 'skincare', '1', '399'],
      ['SO900001', 'LJ900001', '13800138000', '', 'mini_program', '已付款', '537', '40', '0', '497', '2026-01-06 20:15', '2026-01-06 20:16', 'LJ-MASK-5', '澜肌面膜 5 片', 'skincare', '2', '69'],
    ],
  },
  refunds: {
    zh: ['退款单号', '订单号', '退款金额', '退款时间', '商品编码', '退款数量'],
    en: ['refund_id', 'order_id', 'amount', 'refunded_at', 'sku', 'quantity'],
    rows: [['RF900001', 'SO900001', '64', '2026-01-09 11:30', 'LJ-MASK-5', '1']],
  },
};

const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** A template file (CSV text, without the byte-order mark: the download adds it) and its file name. */
export function importTemplate(kind: ImportKind, lang: 'zh-CN' | 'en'): { csv: string; fileName: string } {
  const t = TEMPLATES[kind];
  const header = lang === 'en' ? t.en : t.zh;
  const lines = [header, ...t.rows].map((row) => row.map(cell).join(','));
  const names: Record<ImportKind, string> = { members: '会员导入模板', orders: '订单导入模板', refunds: '退款导入模板' };
  return { csv: `${lines.join('\r\n')}\r\n`, fileName: lang === 'en' ? `${kind}-template.csv` : `${names[kind]}.csv` };
}
