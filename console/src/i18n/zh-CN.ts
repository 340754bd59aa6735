import { importZhCN } from './import.zh-CN.js';
import { journeysZhCN } from './journeys.zh-CN.js';
import { loyaltyZhCN } from './loyalty.zh-CN.js';
import { rulesZhCN } from './rules.zh-CN.js';

/** Simplified Chinese: the console's default language and the master list of keys (en.ts must match it). */
export const zhCN = {
  ...importZhCN,
  ...journeysZhCN,
  ...loyaltyZhCN,
  ...rulesZhCN,
  app: { name: '私域', tagline: '私域运营平台' },
  common: {
    loading: '加载中…', retry: '重试', cancel: '取消', confirm: '确定', save: '保存', create: '新建', close: '关闭',
    search: '搜索', previous: '上一页', next: '下一页', loadMore: '加载更多', noData: '暂无数据', actions: '操作', name: '名称', createdAt: '创建时间',
    yes: '是', no: '否', copy: '复制', copied: '已复制', back: '返回', language: '语言', unknown: '未知', details: '详情',
  },
  language: { 'zh-CN': '简体中文', en: 'English' },
  menu: {
    overview: '概览', profiles: '用户画像', myCustomers: '我的客户', tags: '标签', segments: '人群', journeys: '营销旅程',
    templates: '模板与渠道', loyalty: '会员忠诚度', data: '数据', keys: '密钥与令牌', import: '数据导入',
    identifiers: '身份标识设置', events: '事件结构', team: '成员',
  },
  auth: {
    signInTitle: '登录私域控制台', email: '邮箱', password: '密码', signIn: '登录', signOut: '退出登录',
    emailRequired: '请输入邮箱', passwordRequired: '请输入密码', demoTitle: '演示账号',
    demoText: '这是演示环境，可用演示账号登录：{{email}} / {{password}}', useDemo: '使用演示账号',
    wrongCredentials: '邮箱或密码不正确', sessionExpired: '登录已过期，请重新登录',
    chooseWorkspace: '该邮箱和密码可登录多个工作区，请选择一个', otherAccount: '使用其他账号',
    inviteTitle: '接受邀请', inviteText: '你受邀加入工作区「{{workspace}}」，账号 {{email}}。请设置密码。',
    inviteInvalid: '邀请链接无效或已过期', yourName: '你的名字', newPassword: '设置密码', passwordRule: '至少 8 个字符',
    acceptInvite: '接受并登录',
  },
  roles: { owner: '所有者', operator: '运营', analyst: '分析师（只读）', guide: '导购' },
  demoLoading: {
    members: '正在加载示例品牌：已写入 {{members}} / {{total}} 位会员（{{percent}}%）。数据会陆续出现，可以先浏览。',
    lifecycle: '正在加载示例品牌：{{total}} 位会员已写入，正在计算近 30 天的生命周期、RFM 和旅程数据。',
    done: '示例品牌已加载完成。刷新页面即可看到全部数据。', reload: '刷新页面',
  },
  notAvailable: {
    title: '暂未开放', text: '「{{feature}}」所需的服务端接口尚未在此服务器上提供。升级 Siyu 后此页面会自动可用。',
  },
  errors: {
    title: '出错了', unauthorized: '需要登录', forbidden: '你的角色没有权限执行此操作', not_found: '找不到该内容',
    invalid_request: '输入有误', conflict: '与现有数据冲突', internal: '服务器内部错误，请稍后再试',
    network: '无法连接服务器，请检查网络', unknown: '发生未知错误',
  },
  overview: {
    activeProfiles30d: '近 30 天活跃', wechat: '可触达（微信）', wecom: '可触达（企业微信）', totalOrders: '订单数（{{days}} 天）', totalGmv: 'GMV（{{days}} 天）', newMembers: '每日新增会员',
    aipl: 'AIPL 各阶段人数', aiplFlow: 'AIPL 阶段流转', rfm: 'RFM 分层', people: '人数', revenue: '消费金额', rfmComputedAt: '计算于 {{time}}', period: '近 30 天',
    title: '概览', profiles: '用户数', members: '会员数', activeProfiles: '活跃用户', events: '事件数', orders: '订单数',
    gmv: '成交额（GMV）', trend: '订单与 GMV 趋势', date: '日期', chartLoading: '图表加载中…',
  },
  profiles: {
    lifecycle: '生命周期与分层', stage: 'AIPL 阶段', since: '进入时间', rfm: 'RFM', rfmClass: 'RFM 分类', rfmScores: 'R{{r}} · F{{f}} · M{{m}}',
    recency: '距上次购买 {{days}} 天', frequency: '购买 {{count}} 次', monetary: '累计消费 {{amount}}', tags: '标签', segments: '所属人群', noTags: '暂无标签', noSegments: '不在任何人群中', enteredAt: '加入于 {{time}}',
    title: '用户画像', searchPlaceholder: '按手机号、邮箱、会员号、OpenID 或姓名搜索', id: '用户 ID', displayName: '姓名',
    identifiers: '身份标识', firstSeen: '首次出现', lastSeen: '最近活跃', anonymous: '匿名访客', open: '查看',
    kinds: { members: '会员', known: '已识别', anonymous: '匿名访客', all: '全部' },
    orderStatuses: { pending: '待支付', paid: '已支付', partially_refunded: '部分退款', refunded: '已退款', cancelled: '已取消' },
    traits: '属性', trait: '属性名', value: '值', setAt: '更新时间', merges: '合并记录', conflicts: '身份冲突',
    timeline: '时间线', mergeKind: '类型', merge: '合并', unmerge: '拆分', otherProfile: '对方用户', reason: '原因',
    undoneAt: '已撤销于', unmergeConfirm: '确定将用户 {{other}} 从此画像中拆分出来吗？', unmerged: '已拆分',
    event: '事件', order: '订单', orderTotal: '金额 {{amount}}', orderStatus: '状态：{{status}}', noTimeline: '暂无行为记录',
    type: '类型', redirected: '用户 {{from}} 已合并到此画像', channels: '可触达渠道', summary: '概要', firstSeenValue: '首次出现：{{value}}',
  },
  keys: {
    title: '密钥与令牌', writeKeys: '写入密钥（数据采集）', adminTokens: '管理令牌（管理 API）', hint: '密钥提示',
    lastUsed: '最近使用', status: '状态', active: '有效', revoked: '已吊销', revoke: '吊销',
    revokeConfirm: '吊销后使用此密钥的请求会立即被拒绝。确定吊销「{{name}}」吗？', newKey: '新建密钥', kind: '类型',
    write: '写入密钥', admin: '管理令牌', nameRequired: '请输入名称', secretTitle: '请立即保存此密钥',
    secretText: '密钥只显示这一次，关闭后无法再次查看。', created: '已创建', revokedOk: '已吊销',
  },
  team: {
    title: '成员', invite: '邀请成员', role: '角色', status: '状态', lastSignIn: '最近登录', guideId: '导购 ID',
    statusActive: '正常', statusInvited: '已邀请', statusDisabled: '已停用', disable: '停用', enable: '启用',
    inviteLinkTitle: '邀请链接', inviteLinkText: '把此链接发给 {{email}}，链接 7 天内有效，只显示这一次。', ownerOnly: '只有所有者可以管理成员',
  },
  resources: {
    tags: '标签', segments: '人群', journeys: '营销旅程', templates: '消息模板', channels: '渠道', loyalty: '会员忠诚度',
    import: '数据导入', identifiers: '身份标识设置', events: '事件结构', total: '共 {{count}} 条',
  },
  identifiers: {
    type: '标识类型', priority: '优先级', maxPerProfile: '每人上限', unlimited: '不限',
    help: '同一个人的多个身份标识会合并为一个用户画像（OneID）。每人上限：一个用户最多可拥有几个该类型的标识——若一次合并会让某类标识超过上限（例如两个不同的会员卡号、两个不同的手机号），则不合并，记录一条身份冲突，事件归属到优先级最高的标识所在的用户。优先级：数值越大越优先。修改只影响之后的数据。',
    types: { userId: '用户 ID', member_no: '会员卡号', phone: '手机号', wechat_unionid: '微信 UnionID', email: '邮箱', wechat_openid: '微信 OpenID', wecom_external_userid: '企微外部联系人 ID', anonymousId: '匿名 ID（设备）' },
    saved: '已保存 {{type}} 的设置', addTitle: '添加自定义标识类型',
    addHelp: '例如抖音 OpenID、天猫买家 ID、门店会员卡号：先在这里设好优先级和每人上限，再通过 context.externalIds[]（type 为同名）发送。',
    add: '添加', typeRequired: '请输入标识类型', typePattern: '以字母开头，只含字母、数字和下划线（最多 64 个字符）', typeExists: '该标识类型已存在',
  },
  stages: { A: '认知（A）', I: '兴趣（I）', P: '购买（P）', L: '忠诚（L）', none: '未分层' },
  notFound: { title: '页面不存在', back: '返回概览' },
};
export type Messages = typeof zhCN;
