/** The demo brand: 澜肌 LANJI, a Chinese cosmetics brand with three flagship stores and ten guides. */
export const BRAND = { name: '澜肌 LANJI 美妆（演示品牌）', timezone: 'Asia/Shanghai' };

export const STORES = [
  { id: 'store-sh-njxl', name: '上海南京西路旗舰店', city: '上海', address: '上海市静安区南京西路1266号' },
  { id: 'store-hz-hbyt', name: '杭州湖滨银泰店', city: '杭州', address: '杭州市上城区延安路258号' },
  { id: 'store-bj-sanlitun', name: '北京三里屯店', city: '北京', address: '北京市朝阳区三里屯路19号' },
];

export const GUIDES = [
  { id: 'guide-01', storeId: 'store-sh-njxl', name: '沈佳怡', wecomUserId: 'ShenJiaYi' },
  { id: 'guide-02', storeId: 'store-sh-njxl', name: '陆子涵', wecomUserId: 'LuZiHan' },
  { id: 'guide-03', storeId: 'store-sh-njxl', name: '顾雨桐', wecomUserId: 'GuYuTong' },
  { id: 'guide-04', storeId: 'store-sh-njxl', name: '蒋欣然', wecomUserId: 'JiangXinRan' },
  { id: 'guide-05', storeId: 'store-hz-hbyt', name: '楼诗琪', wecomUserId: 'LouShiQi' },
  { id: 'guide-06', storeId: 'store-hz-hbyt', name: '俞梦洁', wecomUserId: 'YuMengJie' },
  { id: 'guide-07', storeId: 'store-hz-hbyt', name: '金晓雯', wecomUserId: 'JinXiaoWen' },
  { id: 'guide-08', storeId: 'store-bj-sanlitun', name: '赵思远', wecomUserId: 'ZhaoSiYuan' },
  { id: 'guide-09', storeId: 'store-bj-sanlitun', name: '孙若曦', wecomUserId: 'SunRuoXi' },
  { id: 'guide-10', storeId: 'store-bj-sanlitun', name: '马一诺', wecomUserId: 'MaYiNuo' },
];

export const PRODUCTS = [
  { sku: 'LJ-SERUM-30', name: '澜肌玻尿酸精华液 30ml', category: 'skincare', price: 398 },
  { sku: 'LJ-SERUM-50', name: '澜肌玻尿酸精华液 50ml', category: 'skincare', price: 568 },
  { sku: 'LJ-CREAM-50', name: '澜肌修护面霜 50g', category: 'skincare', price: 458 },
  { sku: 'LJ-EYE-15', name: '澜肌紧致眼霜 15g', category: 'skincare', price: 328 },
  { sku: 'LJ-TONER-150', name: '澜肌水润爽肤水 150ml', category: 'skincare', price: 198 },
  { sku: 'LJ-CLEANSER-120', name: '澜肌氨基酸洁面乳 120g', category: 'cleansing', price: 129 },
  { sku: 'LJ-OIL-200', name: '澜肌温和卸妆油 200ml', category: 'cleansing', price: 169 },
  { sku: 'LJ-MASK-5', name: '澜肌补水面膜 5片装', category: 'mask', price: 99 },
  { sku: 'LJ-SUN-50', name: '澜肌轻透防晒霜 SPF50+ 50ml', category: 'suncare', price: 189 },
  { sku: 'LJ-LIP-01', name: '澜肌丝绒口红 #01 正红', category: 'makeup', price: 239 },
  { sku: 'LJ-LIP-07', name: '澜肌丝绒口红 #07 豆沙', category: 'makeup', price: 239 },
  { sku: 'LJ-FDN-30', name: '澜肌持妆粉底液 30ml', category: 'makeup', price: 299 },
  { sku: 'LJ-CUSHION', name: '澜肌气垫BB霜', category: 'makeup', price: 259 },
  { sku: 'LJ-SET-GIFT', name: '澜肌护肤礼盒套装', category: 'gift_set', price: 899 },
  { sku: 'LJ-TRIAL-KIT', name: '澜肌明星小样体验装', category: 'trial', price: 19.9 },
];

export const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'.split('');
export const GIVEN_FEMALE = '婷静丽娟敏燕艳芳娜秀霞玲桂英梅琳雪颖慧欣怡佳悦诗雨涵梦瑶琪萱思晨嘉可馨妍蕾菲薇'.split('');
export const GIVEN_MALE = '伟强磊军洋勇杰涛明超刚辉鹏华飞宇浩然博文俊轩晨阳睿哲铭'.split('');
export const CITIES = ['上海', '上海', '上海', '杭州', '杭州', '北京', '北京', '苏州', '南京', '宁波', '广州', '深圳', '成都', '武汉'];
export const SKIN_TYPES = ['dry', 'oily', 'combination', 'sensitive', 'normal'];
export const TIERS = ['普通', '普通', '普通', '普通', '银卡', '银卡', '金卡', '黑金'];
export const CHANNELS = ['mini_program', 'mini_program', 'mini_program', 'store', 'store', 'tmall', 'jd', 'douyin', 'wecom'];
export const ACQUISITION = ['package_card_qr', 'store_qr', 'guide_qr', 'oa_article', 'douyin_ad', 'tmall_member', 'live_stream'];

/** Behaviour events with their weight (AIPL: ad exposure and search are A, views/cart/follow are I; DEMO_AIPL_EVENTS). */
export const BEHAVIOURS: Array<[string, number]> = [
  ['Ad Viewed', 6],
  ['Ad Clicked', 4],
  ['Product Searched', 6],
  ['Product Viewed', 30],
  ['Product Added', 10],
  ['Product Added to Wishlist', 4],
  ['Checkout Started', 5],
  ['Official Account Followed', 2],
  ['Article Read', 8],
  ['Live Stream Watched', 4],
  ['Checked In', 10],
  ['Trial Requested', 2],
  ['Review Submitted', 2],
  ['Product Shared', 3],
];

/**
 * The demo brand's own AIPL mapping, on top of the defaults (Segment's spec names): its tracking plan says
 * `Ad Viewed` and `Product Searched` for awareness, `Review Submitted` for a review, and has brand events of its own.
 */
export const DEMO_AIPL_EVENTS = {
  A: ['Ad Viewed', 'Product Searched'],
  I: ['Checkout Started', 'Official Account Followed', 'Article Read', 'Live Stream Watched', 'Checked In', 'Signed Up'],
  P: [] as string[],
  L: ['Review Submitted'],
};
