import type { PulseEvent } from './event.ts';

const ws = 'ws_demo';
const t = '2026-11-02T09:30:00.000Z';

/** One valid example per event type: used by tests, docs and the JSON Schema files. */
export const examples: PulseEvent[] = [
  { family: 'product', type: 'track', eventId: 'msg-1', workspaceId: ws, schemaVersion: 1, timestamp: t, userId: 'u_42', event: 'Report Exported', properties: { format: 'pdf', pages: 4 }, context: { library: { name: 'analytics-node', version: '2.1.0' } } },
  { family: 'product', type: 'identify', eventId: 'msg-2', workspaceId: ws, schemaVersion: 1, timestamp: t, userId: 'u_42', traits: { email: 'ada@example.com', plan: 'pro' } },
  { family: 'product', type: 'page', eventId: 'msg-3', workspaceId: ws, schemaVersion: 1, timestamp: t, anonymousId: 'a_9', name: 'Pricing', category: 'Marketing', properties: { path: '/pricing' } },
  { family: 'product', type: 'screen', eventId: 'msg-4', workspaceId: ws, schemaVersion: 1, timestamp: t, userId: 'u_42', name: 'Dashboard' },
  { family: 'product', type: 'group', eventId: 'msg-5', workspaceId: ws, schemaVersion: 1, timestamp: t, userId: 'u_42', groupId: 'acme', traits: { employees: 120 } },
  { family: 'product', type: 'alias', eventId: 'msg-6', workspaceId: ws, schemaVersion: 1, timestamp: t, userId: 'u_42', previousId: 'a_9' },
  { family: 'social', type: 'post_published', eventId: 'sp-1', workspaceId: ws, schemaVersion: 1, timestamp: t, platform: 'linkedin', accountId: 'acc_li', postId: 'p_1', text: 'Our Q4 report is out', mediaType: 'image', publishedAt: t, campaignId: 'cmp_q4' },
  { family: 'social', type: 'post_updated', eventId: 'sp-2', workspaceId: ws, schemaVersion: 1, timestamp: t, platform: 'linkedin', accountId: 'acc_li', postId: 'p_1', text: 'Our Q4 report is out (updated)' },
  { family: 'social', type: 'post_deleted', eventId: 'sp-3', workspaceId: ws, schemaVersion: 1, timestamp: t, platform: 'x', accountId: 'acc_x', postId: 'p_2' },
  { family: 'social', type: 'post_metrics_snapshot', eventId: 'sp-4', workspaceId: ws, schemaVersion: 1, timestamp: t, platform: 'instagram', accountId: 'acc_ig', postId: 'p_3', metrics: { impressions: 1200, reach: 900, likes: 85, comments: 7, shares: 3, saves: 11, clicks: 14, videoViews: 0 } },
  { family: 'social', type: 'comment_received', eventId: 'sp-5', workspaceId: ws, schemaVersion: 1, timestamp: t, platform: 'youtube', accountId: 'acc_yt', postId: 'p_4', commentId: 'c_1', text: '¡Me encanta este video!', author: { id: 'yt_77', handle: '@lucia' }, language: 'es' },
  { family: 'social', type: 'account_followers_snapshot', eventId: 'sp-6', workspaceId: ws, schemaVersion: 1, timestamp: t, platform: 'tiktok', accountId: 'acc_tt', followers: 15234 },
  { family: 'crm', type: 'contact_created', eventId: 'crm-1', workspaceId: ws, schemaVersion: 1, timestamp: t, source: 'hubspot', entityId: 'ct_1', attributes: { email: 'grace@example.com', name: 'Grace Hopper', companyId: 'co_1' } },
  { family: 'crm', type: 'lead_created', eventId: 'crm-2', workspaceId: ws, schemaVersion: 1, timestamp: t, source: 'salesforce', entityId: 'ld_1', attributes: { status: 'new', sourceCampaignId: 'cmp_q4', email: 'lin@example.com' } },
  { family: 'crm', type: 'lead_updated', eventId: 'crm-3', workspaceId: ws, schemaVersion: 1, timestamp: t, source: 'salesforce', entityId: 'ld_1', attributes: { status: 'mql' } },
  { family: 'crm', type: 'company_created', eventId: 'crm-4', workspaceId: ws, schemaVersion: 1, timestamp: t, source: 'pipedrive', entityId: 'co_1', attributes: { name: 'Acme GmbH' } },
  { family: 'crm', type: 'deal_created', eventId: 'crm-5', workspaceId: ws, schemaVersion: 1, timestamp: t, source: 'hubspot', entityId: 'dl_1', attributes: { amount: 12000, currency: 'EUR', stage: 'qualification', pipeline: 'sales', sourceCampaignId: 'cmp_q4' } },
  { family: 'crm', type: 'deal_stage_changed', eventId: 'crm-6', workspaceId: ws, schemaVersion: 1, timestamp: t, source: 'hubspot', entityId: 'dl_1', stage: 'won', previousStage: 'negotiation', pipeline: 'sales', amount: 12000, currency: 'EUR', ownerId: 'own_3', sourceCampaignId: 'cmp_q4', isWon: true, isClosed: true },
  { family: 'crm', type: 'contact_deleted', eventId: 'crm-7', workspaceId: ws, schemaVersion: 1, timestamp: t, source: 'pipedrive', entityId: 'ct_9' },
];
