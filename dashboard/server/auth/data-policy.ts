import { PulseError } from '@pulse/core';
import { type DataPolicy, resolveDataPolicy } from '@pulse/core/rbac/data-policies';
import type { SqlDriver } from '@pulse/core';
import type { FastifyRequest } from 'fastify';

const cache = new WeakMap<FastifyRequest, Promise<DataPolicy>>();

/**
 * The caller's row filters and column clearance in their workspace, resolved once per request.
 * Every data route passes this to the warehouse layer, which applies it where the query is
 * compiled — so the dashboard, the API, exports and schedules all see the same restrictions.
 */
export function dataPolicyOf(request: FastifyRequest, metadata: { db: SqlDriver }): Promise<DataPolicy> {
  let found = cache.get(request);
  if (!found) {
    const p = request.principal;
    if (!p.workspaceId || !p.role)
      throw new PulseError('WORKSPACE_NOT_FOUND', 'you are not in any workspace', {
        hint: 'Ask an admin to add you to one.',
      });
    found = resolveDataPolicy(metadata, {
      workspaceId: p.workspaceId,
      userId: p.userId,
      role: p.role,
      attributes: p.attributes,
    });
    cache.set(request, found);
  }
  return found;
}
