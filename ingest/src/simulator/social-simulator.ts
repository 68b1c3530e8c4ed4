import type { PulseEvent } from '@pulse/core';
import { authorHandle, commentText, type Language, languages, type Sentiment } from './comment-text.ts';
import { type EventFactory, iso, type Schedule } from './event-factory.ts';
import type { Random } from './prng.ts';
import { DAY, dayFactor, HOUR, hourQuality, timeInDay } from './rhythms.ts';

type Platform = 'x' | 'linkedin' | 'facebook' | 'instagram' | 'youtube' | 'tiktok';
interface PlatformProfile {
  postsPerDay: number;
  audience: 'business' | 'consumer';
  followers: number;
  reachRate: number;
  likeRate: number;
  video: number;
}

/** Per platform: how often the brand posts, who follows, and how the audience engages. */
const profiles: Record<Platform, PlatformProfile> = {
  linkedin: {
    postsPerDay: 1.6,
    audience: 'business',
    followers: 18_000,
    reachRate: 0.22,
    likeRate: 0.025,
    video: 0.15,
  },
  x: {
    postsPerDay: 4,
    audience: 'business',
    followers: 42_000,
    reachRate: 0.08,
    likeRate: 0.012,
    video: 0.1,
  },
  facebook: {
    postsPerDay: 1.2,
    audience: 'consumer',
    followers: 35_000,
    reachRate: 0.06,
    likeRate: 0.02,
    video: 0.25,
  },
  instagram: {
    postsPerDay: 1.5,
    audience: 'consumer',
    followers: 27_000,
    reachRate: 0.3,
    likeRate: 0.045,
    video: 0.45,
  },
  youtube: {
    postsPerDay: 0.3,
    audience: 'consumer',
    followers: 9_500,
    reachRate: 0.5,
    likeRate: 0.035,
    video: 1,
  },
  tiktok: {
    postsPerDay: 1.3,
    audience: 'consumer',
    followers: 15_000,
    reachRate: 0.9,
    likeRate: 0.06,
    video: 1,
  },
};
export const platforms = Object.keys(profiles) as Platform[];

/** Hours after publishing at which the platform's API is polled for lifetime totals. */
const snapshotHours = [1, 3, 6, 12, 24, 48, 96, 168];
/** Share of a post's lifetime reach reached after `hours`: most of it within the first day. */
const lifetimeShare = (hours: number) => 1 - Math.exp(-hours / 14);

export interface LivePost {
  platform: Platform;
  accountId: string;
  postId: string;
  publishedMs: number;
  impressions: number;
  likeRate: number;
  video: boolean;
}

export function createSocialSimulator(random: Random, factory: EventFactory, scale: number) {
  const accounts = platforms.map((platform) => ({
    platform,
    accountId: `acc_${platform}`,
    followers: profiles[platform].followers * Math.max(1, Math.sqrt(scale)),
  }));
  const recent: LivePost[] = [];

  const base = (platform: Platform, accountId: string, ms: number) => ({
    family: 'social' as const,
    eventId: factory.id('soc'),
    workspaceId: factory.workspaceId,
    schemaVersion: 1 as const,
    timestamp: iso(ms),
    platform,
    accountId,
    properties: factory.demo,
  });

  function publish(
    schedule: Schedule,
    account: (typeof accounts)[number],
    ms: number,
    horizonMs: number,
  ): PulseEvent[] {
    const p = profiles[account.platform];
    const postId = factory.id('post');
    const video = random.chance(p.video);
    // Virality: lognormal body with a Pareto tail — most posts are ordinary, a few explode.
    const virality = random.chance(0.03) ? random.pareto(8, 1.3) : random.lognormal(0, 0.6);
    const impressions = Math.round(
      account.followers * p.reachRate * virality * hourQuality(ms) * (0.6 + random.next() * 0.8),
    );
    const campaignId = random.chance(0.6)
      ? `cmp_${account.platform}_${iso(ms).slice(0, 7).replace('-', '')}`
      : undefined;
    const post: LivePost = {
      platform: account.platform,
      accountId: account.accountId,
      postId,
      publishedMs: ms,
      impressions,
      likeRate: p.likeRate * (0.7 + random.next() * 0.6),
      video,
    };
    recent.push(post);
    if (recent.length > 200) recent.shift();
    account.followers += impressions * 0.0015 * (virality > 5 ? 3 : 1);

    for (const h of snapshotHours) {
      const at = ms + h * HOUR + random.int(0, 600_000);
      if (at < horizonMs) schedule(snapshot(post, at), at);
    }
    const comments = Math.min(random.poisson(impressions * post.likeRate * 0.025), 300);
    for (let i = 0; i < comments; i++) {
      const at = ms + Math.floor(lifetimeShare(random.next() * 72) * 72 * HOUR);
      if (at < horizonMs) schedule(comment(post, at), at);
    }
    return [
      {
        ...base(account.platform, account.accountId, ms),
        type: 'post_published',
        postId,
        publishedAt: iso(ms),
        text: `${random.pick(postOpeners)} ${random.pick(postTopics)}`,
        mediaType: video ? 'video' : random.pick(['image', 'text', 'carousel', 'link'] as const),
        ...(campaignId ? { campaignId } : {}),
      },
    ];
  }

  function snapshot(post: LivePost, at: number): PulseEvent {
    const share = lifetimeShare((at - post.publishedMs) / HOUR);
    const impressions = Math.round(post.impressions * share);
    const likes = Math.round(impressions * post.likeRate);
    return {
      ...base(post.platform, post.accountId, at),
      type: 'post_metrics_snapshot',
      postId: post.postId,
      metrics: {
        impressions,
        reach: Math.round(impressions * 0.72),
        likes,
        comments: Math.round(likes * 0.06),
        shares: Math.round(likes * 0.11),
        saves: Math.round(likes * 0.08),
        clicks: Math.round(impressions * 0.009),
        videoViews: post.video ? Math.round(impressions * 0.55) : 0,
      },
    };
  }

  function comment(post: LivePost, at: number): PulseEvent {
    const language: Language = random.weighted(languages, [0.55, 0.15, 0.1, 0.12, 0.08]);
    const sentiment: Sentiment = random.weighted(
      ['positive', 'neutral', 'negative'] as const,
      [0.55, 0.3, 0.15],
    );
    const authorNumber = random.int(1, 50_000);
    return {
      ...base(post.platform, post.accountId, at),
      type: 'comment_received',
      postId: post.postId,
      commentId: factory.id('cmt'),
      text: commentText(random, language, sentiment),
      author: { id: `${post.platform}_user_${authorNumber}`, handle: authorHandle(random, authorNumber) },
      language,
    };
  }

  return {
    /** One day of history: posts (with snapshots and comments queued for later), follower snapshots. */
    day(schedule: Schedule, dayStart: number, horizonMs: number): PulseEvent[] {
      const events: PulseEvent[] = [];
      for (const account of accounts) {
        const p = profiles[account.platform];
        const posts = random.poisson(p.postsPerDay * scale * dayFactor(dayStart, p.audience));
        for (let i = 0; i < posts; i++)
          events.push(...publish(schedule, account, timeInDay(random, dayStart), horizonMs));
        account.followers *= 1 + random.normal(0.0012, 0.0008);
        const at = dayStart + 23 * HOUR + random.int(0, HOUR - 1);
        if (at < horizonMs)
          events.push({
            ...base(account.platform, account.accountId, at),
            type: 'account_followers_snapshot',
            followers: Math.round(account.followers),
          });
      }
      return events;
    },
    /** A live event at `now`: mostly fresh snapshots of recent posts, sometimes a comment or a post. */
    live(now: number): PulseEvent {
      const post =
        recent.length > 0
          ? recent[recent.length - 1 - random.int(0, Math.min(recent.length, 30) - 1)]!
          : undefined;
      if (!post || random.chance(0.02)) return publish(() => {}, random.pick(accounts), now, now)[0]!;
      if (random.chance(0.25)) return comment(post, now);
      // Live posts keep growing: stretch the curve so the numbers on screen move.
      return snapshot({ ...post, publishedMs: Math.min(post.publishedMs, now - DAY) }, now);
    },
  };
}

const postOpeners = [
  'New:',
  'Just shipped:',
  'Case study:',
  'How we',
  'Behind the scenes:',
  'Webinar recap:',
  '5 tips:',
  'Customer story:',
  'Product update:',
  'Thread:',
];
const postTopics = [
  'real-time dashboards for revenue teams',
  'measuring social ROI without spreadsheets',
  'cut reporting time by 80%',
  'our Q4 benchmark report',
  'automations that save 6 hours a week',
  'attribution from first touch to closed deal',
  'what 10k posts taught us about timing',
  'the new Excel export',
];
