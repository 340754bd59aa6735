import type { importZhCN } from './import.zh-CN.js';

/** Texts of the import page: every key of import.zh-CN.ts. */
export const importEn: typeof importZhCN = {
  imports: {
    title: 'Import', intro: 'Upload a members or orders file (CSV with a header row, or JSON lines). Importing the same file again changes nothing; rows that cannot be imported go to a rejects file with their line number and reason.',
    kind: 'What to import', members: 'Members', orders: 'Orders', refunds: 'Refunds',
    refundsHelp: 'Refunds of stored orders, as a shop\'s refund export holds them: order_id (订单号), refund_id (退款单号), amount (退款金额), refunded_at; a row per refunded SKU with its quantity. Each refund applies once.',
    encoding: 'Text encoding', encodingHelp: 'Excel\'s "CSV" on Chinese Windows is GBK; "CSV UTF-8" and most shop systems are UTF-8. Automatic tells them apart.',
    encodings: { auto: 'Automatic', 'utf-8': 'UTF-8', gb18030: 'GBK / GB18030' }, readAs: 'read as {{encoding}}',
    membersHelp: 'Identifier columns: member_no, phone, email, user_id, wechat_openid, wechat_unionid, external_userid; every other column becomes a trait, joined_at the time. Chinese headers (会员卡号, 手机号, 注册时间…) work too.',
    ordersHelp: 'One row per item: order_id, member_no or phone, status, total_amount, ordered_at, sku, item_name, quantity, price…; rows of one order must be adjacent. Chinese headers, statuses and amounts (订单号, 已付款, ¥1,298.00) work too.',
    file: 'File', chooseFile: 'Choose a file', dropHint: 'Click or drag a CSV / JSONL file here', start: 'Start import', uploading: 'Uploading {{percent}}%',
    status: 'Status', running: 'Importing', done: 'Done', failed: 'Failed',
    progress: '{{rows}} of {{total}} rows read', rows: 'Rows read', imported: 'Imported', unchanged: 'Unchanged', rejected: 'Rejected',
    summary: 'Import finished: {{rows}} rows read, {{imported}} imported, {{unchanged}} unchanged, {{rejected}} rejected.',
    wouldImport: 'Would import', dryRun: 'Only check the file (write nothing)', dryRunTag: 'Check only', startCheck: 'Check file',
    checkSummary: 'Check finished, nothing written: {{rows}} rows read, {{valid}} would import, {{rejected}} rejected.',
    failedText: 'The import stopped: {{error}}', downloadTemplate: 'Download a template', downloadRejects: 'Download rejected rows', noRejects: 'No rows were rejected',
    conflicts: 'Identity conflicts', conflictsHelp: 'Imported, but one of their identifiers (a phone, say) belongs to another profile with another member number, and the two were kept apart',
    summaryConflicts: 'Imported with an identity conflict (an identifier another profile holds): {{conflicts}}. Download the list for their lines and reasons, and sort them out on the profiles.',
    checkConflicts: 'Would be imported with an identity conflict (an identifier another profile holds): {{conflicts}}. Download the list for their lines and reasons.',
    downloadConflicts: 'Download rows with a conflict',
    recent: 'Recent imports', fileName: 'File', startedAt: 'Started', finishedAt: 'Finished',
    operatorsOnly: 'Only owners and operators can import data.', another: 'Import another file', needFile: 'Choose a file first',
  },
  textFile: {
    readAs: 'The file was read as {{encoding}}',
    workbook: 'This is an Excel workbook (.xlsx or .xls), not a CSV file: save it as "CSV UTF-8" in Excel and upload that',
    western: 'The file is not UTF-8, and would read as GBK only by accident (accented letters, as Western Excel saves them): save it as "CSV UTF-8" and upload that',
    'not-text': 'The file\'s encoding is neither UTF-8 nor GBK/GB18030: save it as "CSV UTF-8" and upload that',
    mixed: 'The file mixes encodings (its start and a later part differ): save it all as "CSV UTF-8" and upload that',
  },
};
