import { readdirSync, readFileSync } from 'node:fs';
import { type MetadataStore, PulseError, type StoredDocument } from '@pulse/core';
import { parse as parseYaml } from 'yaml';
import { type DashboardDefinition, parseDashboardDefinition } from './definition.ts';

export interface StoredDashboard {
  id: string;
  slug: string;
  title: string;
  /** The edit count in the store (optimistic concurrency), not the file format's version. */
  revision: number;
  builtIn: boolean;
  updatedAt: string;
  definition: DashboardDefinition;
}

export const builtInDashboardsDir = new URL('../../../models/dashboards/', import.meta.url);

/** The dashboards every workspace starts with, read from `models/dashboards/*.yaml`. */
export function loadBuiltInDashboards(dir: URL = builtInDashboardsDir): DashboardDefinition[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      try {
        return parseDashboardDefinition(parseYaml(readFileSync(new URL(file, dir), 'utf8')));
      } catch (err) {
        throw new PulseError('DASHBOARD_INVALID', `built-in dashboard ${file} is not valid`, {
          cause: err,
          hint: (err as { hint?: string }).hint ?? 'fix the YAML file',
        });
      }
    });
}

/**
 * Dashboards of a workspace in the metadata store. Built-in dashboards are copied in the first
 * time a workspace's dashboards are read, so they can be edited like any other; they cannot be
 * deleted (they would come back), only duplicated and changed.
 */
export function createDashboardStore(
  metadata: Pick<MetadataStore, 'db' | 'dashboards'>,
  builtIns: DashboardDefinition[],
) {
  const seeded = new Set<string>();
  const builtInSlugs = new Set(builtIns.map((b) => b.slug));

  const toStored = (doc: StoredDocument): StoredDashboard => {
    const definition = parseDashboardDefinition(doc.definition);
    return {
      id: doc.id,
      slug: doc.slug ?? definition.slug,
      title: doc.title,
      revision: doc.version,
      builtIn: builtInSlugs.has(doc.slug ?? ''),
      updatedAt: doc.updatedAt,
      definition: { ...definition, title: doc.title },
    };
  };

  async function seed(workspaceId: string): Promise<void> {
    if (seeded.has(workspaceId)) return;
    const rows = await metadata.db.query<{ slug: string }>(
      'SELECT slug FROM dashboards WHERE workspace_id = $1',
      [workspaceId],
    );
    const present = new Set(rows.map((r) => r.slug));
    for (const b of builtIns)
      if (!present.has(b.slug))
        await metadata.dashboards
          .create({ workspaceId, slug: b.slug, title: b.title, definition: b })
          .catch((err: { code?: string }) => {
            // Another process seeded it between our read and insert: fine.
            if (err.code !== 'METADATA_CONFLICT') throw err;
          });
    seeded.add(workspaceId);
  }

  async function find(workspaceId: string, slug: string): Promise<StoredDashboard | undefined> {
    await seed(workspaceId);
    const [row] = await metadata.db.query<{ id: string }>(
      'SELECT id FROM dashboards WHERE workspace_id = $1 AND slug = $2',
      [workspaceId, slug],
    );
    const doc = row && (await metadata.dashboards.get(row.id));
    return doc && toStored(doc);
  }

  return {
    async list(workspaceId: string): Promise<StoredDashboard[]> {
      await seed(workspaceId);
      const out: StoredDashboard[] = [];
      let cursor: string | null = null;
      do {
        const page = await metadata.dashboards.list(workspaceId, { limit: 500, cursor });
        out.push(...page.items.map(toStored));
        cursor = page.nextCursor;
      } while (cursor);
      const order = [...builtInSlugs];
      return out.sort((a, b) => rank(order, a.slug) - rank(order, b.slug) || a.title.localeCompare(b.title));
    },
    find,
    async get(workspaceId: string, slug: string): Promise<StoredDashboard> {
      const found = await find(workspaceId, slug);
      if (!found)
        throw new PulseError('DASHBOARD_NOT_FOUND', `no dashboard "${slug}" in this workspace`, {
          hint: 'GET /api/v1/dashboards lists the dashboards you can open',
        });
      return found;
    },
    async create(
      workspaceId: string,
      definition: DashboardDefinition,
      createdBy?: string | null,
    ): Promise<StoredDashboard> {
      await seed(workspaceId);
      const doc = await metadata.dashboards.create({
        workspaceId,
        slug: definition.slug,
        title: definition.title,
        definition,
        ...(createdBy ? { createdBy } : {}),
      });
      return toStored(doc);
    },
    async save(
      current: StoredDashboard,
      definition: DashboardDefinition,
      expectedRevision?: number,
    ): Promise<StoredDashboard> {
      if (definition.slug !== current.slug)
        throw new PulseError('DASHBOARD_INVALID', 'a dashboard keeps its slug', {
          hint: 'duplicate it under a new slug instead',
        });
      const doc = await metadata.dashboards.update(current.id, {
        title: definition.title,
        definition,
        ...(expectedRevision === undefined ? {} : { expectedVersion: expectedRevision }),
      });
      return toStored(doc);
    },
    async delete(current: StoredDashboard): Promise<void> {
      if (current.builtIn)
        throw new PulseError(
          'DASHBOARD_CONFLICT',
          `"${current.slug}" is a built-in dashboard and cannot be deleted`,
          {
            hint: 'duplicate it and change the copy, or remove tiles from it',
          },
        );
      await metadata.dashboards.delete(current.id);
    },
  };
}

export type DashboardStore = ReturnType<typeof createDashboardStore>;

const rank = (order: string[], slug: string) => {
  const i = order.indexOf(slug);
  return i === -1 ? order.length : i;
};
