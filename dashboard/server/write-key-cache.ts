import type { MetadataStore } from '@pulse/core';
import type { WriteKeyOwner } from '@pulse/ingest';

/**
 * Write-key look-ups for the collector, cached for a minute: every request carries its key, and
 * the metadata store should not see one query per request. A revoked key stops working within
 * the minute.
 */
export function createWriteKeyCache(metadata: MetadataStore, ttlMs = 60_000) {
  const cache = new Map<string, { owner: WriteKeyOwner | undefined; until: number }>();
  return async (key: string): Promise<WriteKeyOwner | undefined> => {
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.owner;
    const source = await metadata.sources.findByWriteKey(key);
    const owner = source && { workspaceId: source.workspaceId, sourceId: source.id };
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { owner, until: Date.now() + ttlMs });
    return owner;
  };
}
