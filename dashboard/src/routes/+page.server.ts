import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => ({
  overview: await locals.services.overviewFeed.read(),
  collectorPath: '/v1/track',
});
