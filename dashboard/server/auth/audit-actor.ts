import type { FastifyRequest } from 'fastify';

/**
 * Who did it, from where, for an audit entry: the caller's workspace, whether a user or an API
 * key acted (and which), and the source address. Every route that records an audit entry
 * spreads this, so an actor is always written the same way.
 */
export function auditActor(request: FastifyRequest) {
  const { principal } = request;
  return {
    workspaceId: principal.workspaceId,
    actorType: principal.kind === 'api_key' ? ('api_key' as const) : ('user' as const),
    actorId: principal.apiKeyId ?? principal.userId,
    sourceIp: request.ip,
  };
}
