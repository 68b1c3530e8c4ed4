import { unrestrictedPolicy } from '@pulse/core/rbac/data-policies';
import { describe, expect, it } from 'vitest';
import {
  mergePolicyRestrictions,
  policyRestrictions,
  renderTableFilters,
  workspaceRestrictions,
} from './table-filters.ts';

describe('SQL-tab restrictions', () => {
  it('holds every served table to the workspace, quoted for the setting', () => {
    const base = workspaceRestrictions('ws-1', ['product_events', 'social_posts']);
    expect(renderTableFilters(base.tableFilters)).toBe(
      "{'product_events':'workspace_id = \\'ws-1\\'', 'social_posts':'workspace_id = \\'ws-1\\''}",
    );
    expect(() => workspaceRestrictions("x' OR 1 --", ['product_events'])).toThrow(/workspace id/);
  });

  it('narrows with a policy: filters AND-ed, denied columns added, unknown tables refused', () => {
    const base = workspaceRestrictions('ws-1', ['social_posts']);
    const merged = mergePolicyRestrictions(base, {
      tableFilters: { social_posts: "platform IN ('x')" },
      deniedColumns: { social_posts: ['author_id'] },
    });
    expect(merged.tableFilters.get('social_posts')).toBe("(workspace_id = 'ws-1') AND (platform IN ('x'))");
    expect([...(merged.deniedColumns.get('social_posts') ?? [])]).toEqual(['author_id']);
    expect(() => mergePolicyRestrictions(base, { tableFilters: { nope: '1' } })).toThrow(
      /unknown table "nope"/,
    );
  });

  it('turns a data policy into per-table filters and denied columns; admins get none', () => {
    const policy = {
      ...unrestrictedPolicy('ws-1'),
      role: 'analyst',
      unrestricted: false,
      clearance: 'confidential' as const,
      rowFilters: [{ dimension: 'platform', values: ["it's"] }],
    };
    const restrictions = policyRestrictions(policy)!;
    expect(restrictions.tableFilters?.social_posts).toBe("toString(platform) IN ('it\\'s')");
    expect(restrictions.deniedColumns?.product_events).toContain('user_id');
    expect(policyRestrictions(unrestrictedPolicy('ws-1'))).toBeUndefined();
  });

  it('denies a table that lacks a dimension its family is filtered by, and leaves other families alone', () => {
    const policy = {
      ...unrestrictedPolicy('ws-1'),
      role: 'analyst',
      unrestricted: false,
      clearance: 'confidential' as const,
      rowFilters: [{ dimension: 'type', values: ['track'] }],
    };
    const filters = policyRestrictions(policy)!.tableFilters!;
    // Raw product events carry the event type: filtered by it.
    expect(filters.product_events).toBe("toString(type) IN ('track')");
    // Daily actors aggregate every type and cannot be filtered by it: denied, not shown in full.
    expect(filters.product_actors_day).toBe('0');
    // Social and CRM tables have no event type of this kind: untouched.
    expect(filters.social_posts).toBeUndefined();
    expect(filters.crm_deal_stage_changes).toBeUndefined();
  });
});
