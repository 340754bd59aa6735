import { importEn } from './import.en.js';
import { journeysEn } from './journeys.en.js';
import { loyaltyEn } from './loyalty.en.js';
import { rulesEn } from './rules.en.js';
import type { Messages } from './zh-CN.js';

/** English: every key of zh-CN.ts, no more, no less (the type checks it). */
export const en: Messages = {
  ...importEn,
  ...journeysEn,
  ...loyaltyEn,
  ...rulesEn,
  app: { name: 'Siyu', tagline: 'Private-domain operations' },
  common: {
    loading: 'Loading…', retry: 'Retry', cancel: 'Cancel', confirm: 'OK', save: 'Save', create: 'Create', close: 'Close',
    search: 'Search', previous: 'Previous', next: 'Next', loadMore: 'Load more', noData: 'No data', actions: 'Actions', name: 'Name', createdAt: 'Created',
    yes: 'Yes', no: 'No', copy: 'Copy', copied: 'Copied', back: 'Back', language: 'Language', unknown: 'Unknown', details: 'Details',
  },
  language: { 'zh-CN': '简体中文', en: 'English' },
  menu: {
    overview: 'Overview', profiles: 'Profiles', myCustomers: 'My customers', tags: 'Tags', segments: 'Segments', journeys: 'Journeys',
    templates: 'Templates & channels', loyalty: 'Loyalty', data: 'Data', keys: 'Keys & tokens', import: 'Import',
    identifiers: 'Identifier settings', events: 'Event schema', team: 'Team',
  },
  auth: {
    signInTitle: 'Sign in to the Siyu console', email: 'Email', password: 'Password', signIn: 'Sign in', signOut: 'Sign out',
    emailRequired: 'Enter your email', passwordRequired: 'Enter your password', demoTitle: 'Demo login',
    demoText: 'This is a demo: sign in with {{email}} / {{password}}', useDemo: 'Use the demo login',
    wrongCredentials: 'Wrong email or password', sessionExpired: 'Your session has expired: sign in again',
    chooseWorkspace: 'This email and password open several workspaces: choose one', otherAccount: 'Use another account',
    inviteTitle: 'Accept the invitation', inviteText: 'You are invited to the workspace "{{workspace}}" as {{email}}. Choose a password.',
    inviteInvalid: 'This invitation link is invalid or has expired', yourName: 'Your name', newPassword: 'Choose a password',
    passwordRule: 'At least 8 characters', acceptInvite: 'Accept and sign in',
  },
  roles: { owner: 'Owner', operator: 'Operator', analyst: 'Analyst (read-only)', guide: 'Store guide' },
  demoLoading: {
    members: 'Loading the demo brand: {{members}} of {{total}} members written ({{percent}}%). Data appears as it arrives; you can look around meanwhile.',
    lifecycle: 'Loading the demo brand: all {{total}} members written; computing 30 days of lifecycle stages, RFM and journeys.',
    done: 'The demo brand has loaded. Reload the page to see all of it.', reload: 'Reload',
  },
  notAvailable: {
    title: 'Not available yet', text: 'The server API behind "{{feature}}" is not on this server yet. This page works once Siyu is upgraded.',
  },
  errors: {
    title: 'Something went wrong', unauthorized: 'You need to sign in', forbidden: 'Your role does not allow this',
    not_found: 'Not found', invalid_request: 'Some input is not valid', conflict: 'This conflicts with existing data',
    internal: 'The server had an internal error; try again later', network: 'Cannot reach the server; check your connection',
    unknown: 'An unexpected error happened',
  },
  overview: {
    activeProfiles30d: 'Active (30 days)', wechat: 'Reachable on WeChat', wecom: 'Reachable on WeCom', totalOrders: 'Orders ({{days}} days)', totalGmv: 'GMV ({{days}} days)', newMembers: 'New members per day',
    aipl: 'AIPL stage sizes', aiplFlow: 'AIPL flow between stages', rfm: 'RFM classes', people: 'Profiles', revenue: 'Revenue', rfmComputedAt: 'Computed {{time}}', period: 'Last 30 days',
    title: 'Overview', profiles: 'Profiles', members: 'Members', activeProfiles: 'Active profiles', events: 'Events', orders: 'Orders',
    gmv: 'GMV', trend: 'Orders and GMV', date: 'Date', chartLoading: 'Loading the chart…',
  },
  profiles: {
    lifecycle: 'Lifecycle and value', stage: 'AIPL stage', since: 'Since', rfm: 'RFM', rfmClass: 'RFM class', rfmScores: 'R{{r}} · F{{f}} · M{{m}}',
    recency: '{{days}} days since the last purchase', frequency: '{{count}} purchases', monetary: '{{amount}} spent', tags: 'Tags', segments: 'Segments', noTags: 'No tags', noSegments: 'In no segment', enteredAt: 'entered {{time}}',
    title: 'Profiles', searchPlaceholder: 'Search by phone, email, member number, OpenID or name', id: 'Profile ID', displayName: 'Name',
    identifiers: 'Identifiers', firstSeen: 'First seen', lastSeen: 'Last seen', anonymous: 'Anonymous visitor', open: 'Open',
    kinds: { members: 'Members', known: 'Identified', anonymous: 'Anonymous visitors', all: 'All' },
    orderStatuses: { pending: 'Pending payment', paid: 'Paid', partially_refunded: 'Partially refunded', refunded: 'Refunded', cancelled: 'Cancelled' },
    traits: 'Traits', trait: 'Trait', value: 'Value', setAt: 'Set at', merges: 'Merge history', conflicts: 'Identity conflicts',
    timeline: 'Timeline', mergeKind: 'Kind', merge: 'Merge', unmerge: 'Unmerge', otherProfile: 'Other profile', reason: 'Reason',
    undoneAt: 'Undone at', unmergeConfirm: 'Split profile {{other}} back out of this profile?', unmerged: 'Unmerged',
    event: 'Event', order: 'Order', orderTotal: 'Amount {{amount}}', orderStatus: 'Status: {{status}}', noTimeline: 'No activity yet',
    type: 'Type', redirected: 'Profile {{from}} was merged into this profile', channels: 'Reachable on', summary: 'Summary',
    firstSeenValue: 'First seen: {{value}}',
  },
  keys: {
    title: 'Keys & tokens', writeKeys: 'Write keys (data collection)', adminTokens: 'Admin tokens (admin API)', hint: 'Hint',
    lastUsed: 'Last used', status: 'Status', active: 'Active', revoked: 'Revoked', revoke: 'Revoke',
    revokeConfirm: 'Requests with this key are refused at once. Revoke "{{name}}"?', newKey: 'New key', kind: 'Kind',
    write: 'Write key', admin: 'Admin token', nameRequired: 'Enter a name', secretTitle: 'Save this secret now',
    secretText: 'It is shown only this once and cannot be displayed again.', created: 'Created', revokedOk: 'Revoked',
  },
  team: {
    title: 'Team', invite: 'Invite', role: 'Role', status: 'Status', lastSignIn: 'Last sign-in', guideId: 'Guide ID',
    statusActive: 'Active', statusInvited: 'Invited', statusDisabled: 'Disabled', disable: 'Disable', enable: 'Enable',
    inviteLinkTitle: 'Invitation link', inviteLinkText: 'Send this link to {{email}}. It works for 7 days and is shown only once.',
    ownerOnly: 'Only owners manage the team',
  },
  resources: {
    tags: 'Tags', segments: 'Segments', journeys: 'Journeys', templates: 'Message templates', channels: 'Channels', loyalty: 'Loyalty',
    import: 'Import', identifiers: 'Identifier settings', events: 'Event schema', total: '{{count}} in total',
  },
  identifiers: {
    type: 'Identifier type', priority: 'Priority', maxPerProfile: 'Limit per profile', unlimited: 'No limit',
    help: "A person's identifiers are merged into one profile (OneID). Limit per profile: how many identifiers of a type one person may have — when a merge would put a type over its limit (two different member numbers, two different phones), the profiles are not merged, a conflict is recorded, and the event goes to the profile of its highest-priority identifier. Priority: higher wins. Changes apply to data from now on.",
    types: { userId: 'User ID', member_no: 'Member number', phone: 'Phone', wechat_unionid: 'WeChat UnionID', email: 'Email', wechat_openid: 'WeChat OpenID', wecom_external_userid: 'WeCom external contact ID', anonymousId: 'Anonymous ID (device)' },
    saved: 'Saved the settings of {{type}}', addTitle: 'Add a custom identifier type',
    addHelp: 'For example a Douyin OpenID, a Tmall buyer id or a store card number: give it a priority and a limit here, then send it as context.externalIds[] with that type.',
    add: 'Add', typeRequired: 'Enter an identifier type', typePattern: 'Starts with a letter; letters, digits and _ only (up to 64)', typeExists: 'This identifier type already exists',
  },
  stages: { A: 'Awareness (A)', I: 'Interest (I)', P: 'Purchase (P)', L: 'Loyalty (L)', none: 'No stage' },
  notFound: { title: 'Page not found', back: 'Back to the overview' },
};
