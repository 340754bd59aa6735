/** 数据导入页的文案（zh-CN.ts 合并进来；import.en.ts 必须与之一致）。 */
export const importZhCN = {
  imports: {
    title: '数据导入', intro: '上传会员或订单文件（带表头的 CSV，或每行一个 JSON 的 JSONL）。同一文件重复导入不会产生任何变化；无法导入的行会连同行号和原因列入“被拒行”文件。',
    kind: '导入内容', members: '会员', orders: '订单', refunds: '退款',
    refundsHelp: '已导入订单的退款，即店铺导出的退款单：order_id（订单号）、refund_id（退款单号）、amount（退款金额）、refunded_at（退款时间）；按商品退款时每个商品一行并填写数量。同一退款单只会生效一次。',
    encoding: '文件编码', encodingHelp: '中文 Windows 版 Excel 另存的“CSV”是 GBK 编码；“CSV UTF-8”和大多数电商系统导出的是 UTF-8。选“自动识别”即可区分。',
    encodings: { auto: '自动识别', 'utf-8': 'UTF-8', gb18030: 'GBK / GB18030' }, readAs: '按 {{encoding}} 读取',
    membersHelp: '身份列：member_no（会员卡号）、phone（手机号）、email（邮箱）、user_id、openid、unionid、external_userid；其余列作为会员属性，joined_at（注册时间）作为时间。中文表头可直接导入。',
    ordersHelp: '每个商品一行：order_id（订单号）、member_no 或 phone、status（订单状态，如 已付款、已退款）、total_amount（订单金额）、ordered_at（下单时间）、sku（商品编码）、item_name、quantity、price…；同一订单的行需相邻。',
    file: '文件', chooseFile: '选择文件', dropHint: '点击或拖拽 CSV / JSONL 文件到此处', start: '开始导入', uploading: '正在上传 {{percent}}%',
    status: '状态', running: '导入中', done: '已完成', failed: '失败',
    progress: '已读取 {{rows}} / {{total}} 行', rows: '读取行数', imported: '新导入', unchanged: '未变化', rejected: '被拒',
    summary: '导入完成：读取 {{rows}} 行，新导入 {{imported}} 行，未变化 {{unchanged}} 行，被拒 {{rejected}} 行。',
    wouldImport: '可导入', dryRun: '仅校验文件（不写入任何数据）', dryRunTag: '仅校验', startCheck: '校验文件',
    checkSummary: '校验完成，未写入数据：读取 {{rows}} 行，可导入 {{valid}} 行，被拒 {{rejected}} 行。',
    failedText: '导入中断：{{error}}', downloadTemplate: '下载模板', downloadRejects: '下载被拒行', noRejects: '没有被拒的行',
    conflicts: '身份冲突', conflictsHelp: '已导入，但其中某个标识（如手机号）已属于另一个会员卡号不同的客户档案，两者未合并',
    summaryConflicts: '其中 {{conflicts}} 行导入时有身份冲突（某个标识已属于另一个客户档案）：下载清单可查看行号和原因，并在客户档案页处理。',
    checkConflicts: '其中 {{conflicts}} 行导入时会有身份冲突（某个标识已属于另一个客户档案）：下载清单可查看行号和原因。',
    downloadConflicts: '下载身份冲突行',
    recent: '最近的导入', fileName: '文件名', startedAt: '开始时间', finishedAt: '结束时间',
    operatorsOnly: '只有所有者和运营可以导入数据。', another: '再导入一个文件', needFile: '请先选择文件',
  },
  /** 标签、静态分群上传的 CSV：按什么编码读取，或为何无法读取（与服务端导入的判断一致）。 */
  textFile: {
    readAs: '文件按 {{encoding}} 读取',
    workbook: '这是 Excel 工作簿（.xlsx / .xls），不是 CSV：请在 Excel 中另存为“CSV UTF-8”后再上传',
    western: '文件不是 UTF-8，按 GBK 读取会出现乱码（像西文 Excel 保存的带重音字母）：请在 Excel 中另存为“CSV UTF-8”后再上传',
    'not-text': '无法识别文件编码（既不是 UTF-8 也不是 GBK/GB18030）：请另存为“CSV UTF-8”后再上传',
    mixed: '文件中混用了多种编码（开头与后面的内容编码不同）：请统一另存为“CSV UTF-8”后再上传',
  },
};
