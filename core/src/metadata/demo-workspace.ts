import type { MetadataStore } from './create-metadata-store.ts';
import type { SourceFamily } from './repositories/sources.ts';
import type { Workspace } from './repositories/workspaces.ts';

const demoSources: { family: SourceFamily; provider: string; name: string }[] = [
  { family: 'product', provider: 'segment', name: 'Demo product app' },
  { family: 'social', provider: 'multi-platform', name: 'Demo social accounts' },
  { family: 'crm', provider: 'hubspot', name: 'Demo CRM' },
];

/**
 * The demo workspace (slug `demo`) with one source per stream family. Idempotent, and completes
 * a run that stopped half-way. Write keys are returned only for sources created by this call:
 * a key's plaintext is shown once.
 */
export async function ensureDemoWorkspace(
  store: MetadataStore,
): Promise<{ workspace: Workspace; writeKeys: Partial<Record<SourceFamily, string>> }> {
  const workspace =
    (await store.workspaces.getBySlug('demo')) ??
    (await store.workspaces.create({ slug: 'demo', name: 'Demo workspace', isDemo: true }));
  const existing = new Set((await store.sources.list(workspace.id)).map((s) => s.name));
  const writeKeys: Partial<Record<SourceFamily, string>> = {};
  for (const s of demoSources.filter((d) => !existing.has(d.name))) {
    const source = await store.sources.create({ workspaceId: workspace.id, ...s });
    writeKeys[s.family] = (await store.sources.createWriteKey(source.id)).key;
  }
  return { workspace, writeKeys };
}
