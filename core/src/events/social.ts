import { z } from 'zod';
import { bag, envelopeShape, pii } from './common.ts';

export const socialPlatforms = ['x', 'linkedin', 'facebook', 'instagram', 'youtube', 'tiktok'] as const;
const count = z.number().int().nonnegative();

const socialShape = {
  ...envelopeShape,
  family: z.literal('social'),
  platform: z.enum(socialPlatforms),
  accountId: z.string().min(1).max(200),
  properties: bag.optional(),
};
const postShape = {
  ...socialShape,
  postId: z.string().min(1).max(200),
  text: z.string().max(20_000).optional(),
  mediaType: z.enum(['text', 'image', 'video', 'carousel', 'link', 'story', 'reel']).optional(),
  publishedAt: envelopeShape.timestamp.optional(),
  /** Campaign the post belongs to: CRM leads and deals attribute revenue to it. */
  campaignId: z.string().max(200).optional(),
};

export const postPublished = z.looseObject({ ...postShape, type: z.literal('post_published') });
export const postUpdated = z.looseObject({ ...postShape, type: z.literal('post_updated') });
export const postDeleted = z.looseObject({
  ...socialShape,
  type: z.literal('post_deleted'),
  postId: z.string().min(1).max(200),
});
export const postMetricsSnapshot = z.looseObject({
  ...socialShape,
  type: z.literal('post_metrics_snapshot'),
  postId: z.string().min(1).max(200),
  /** Lifetime totals as the platform reports them at `timestamp` (not deltas). */
  metrics: z
    .object({
      impressions: count,
      reach: count,
      likes: count,
      comments: count,
      shares: count,
      saves: count,
      clicks: count,
      videoViews: count,
    })
    .partial()
    .required({ impressions: true, likes: true }),
});
export const commentReceived = z.looseObject({
  ...socialShape,
  type: z.literal('comment_received'),
  postId: z.string().min(1).max(200),
  commentId: z.string().min(1).max(200),
  text: z.string().max(20_000).meta(pii),
  author: z.object({ id: z.string().max(200).meta(pii), handle: z.string().max(200).meta(pii).optional() }),
  language: z.string().max(16).optional(),
});
export const accountFollowersSnapshot = z.looseObject({
  ...socialShape,
  type: z.literal('account_followers_snapshot'),
  followers: count,
});

export const socialEventTypes = [
  'post_published',
  'post_updated',
  'post_deleted',
  'post_metrics_snapshot',
  'comment_received',
  'account_followers_snapshot',
] as const;
export const socialEvent = z.discriminatedUnion('type', [
  postPublished,
  postUpdated,
  postDeleted,
  postMetricsSnapshot,
  commentReceived,
  accountFollowersSnapshot,
]);
export type SocialEvent = z.infer<typeof socialEvent>;
