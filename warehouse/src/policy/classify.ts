import { PulseError } from '@pulse/core';
import {
  type Classification,
  classificationRank,
  type DataPolicy,
  isCleared,
} from '@pulse/core/rbac/data-policies';
import type { MetricDefinition } from '../metrics/definition.ts';
import { metricSources } from '../metrics/sources.ts';

/** What a masked dimension shows instead of its values: one group, nothing leaked. */
export const MASK = '•••';

const enforced = (policy: DataPolicy | undefined): policy is DataPolicy =>
  policy !== undefined && !policy.unrestricted;

/**
 * A dimension's classification: the workspace's override, else the strictest default of the
 * sources that carry it (one name is one concept, so the most sensitive use wins).
 */
export function dimensionClassification(
  name: string,
  policy?: Pick<DataPolicy, 'dimensionClassifications'>,
): Classification {
  const override = policy?.dimensionClassifications[name];
  if (override) return override;
  const levels = metricSources.flatMap((s) => {
    const d = s.dimensions[name];
    return d ? [d.classification] : [];
  });
  if (levels.length === 0) return 'internal';
  return levels.reduce((a, b) => (classificationRank(b) > classificationRank(a) ? b : a));
}

/** A metric's classification: the workspace's override, else its definition's, else internal. */
export function metricClassification(
  m: MetricDefinition,
  policy?: Pick<DataPolicy, 'metricClassifications'>,
): Classification {
  return policy?.metricClassifications[m.name] ?? m.classification ?? 'internal';
}

/** True when the caller may not see the dimension's values (they are shown as {@link MASK}). */
export function isMaskedDimension(name: string, policy: DataPolicy | undefined): boolean {
  return enforced(policy) && !isCleared(policy.clearance, dimensionClassification(name, policy));
}

/**
 * Refuses metrics above the caller's clearance, including the ones a ratio or derived metric is
 * computed from (a ratio of a restricted number would leak it).
 */
export function assertMetricsAllowed(policy: DataPolicy | undefined, metrics: MetricDefinition[]): void {
  if (!enforced(policy)) return;
  const refused = metrics.filter((m) => !isCleared(policy.clearance, metricClassification(m, policy)));
  if (refused.length > 0)
    throw new PulseError(
      'METRIC_FORBIDDEN',
      `your role may not query ${refused.map((m) => `"${m.name}" (${metricClassification(m, policy)})`).join(', ')}`,
      {
        hint: `Your role "${policy.role}" is cleared up to ${policy.clearance}; ask an admin for a role with a higher clearance.`,
        context: { metrics: refused.map((m) => m.name), clearance: policy.clearance },
      },
    );
}

/**
 * Refuses filters on dimensions above the caller's clearance: a filter is a question about the
 * hidden values ("is the owner Ada?"), so masking the output would not be enough.
 */
export function assertFilterable(policy: DataPolicy | undefined, dimensions: string[]): void {
  if (!enforced(policy)) return;
  const refused = [...new Set(dimensions)].filter((d) => isMaskedDimension(d, policy));
  if (refused.length > 0)
    throw new PulseError(
      'DIMENSION_FORBIDDEN',
      `your role may not filter by ${refused.map((d) => `"${d}" (${dimensionClassification(d, policy)})`).join(', ')}`,
      {
        hint: `Remove the filter; your role "${policy.role}" is cleared up to ${policy.clearance}. You may still group by it and see it masked.`,
        context: { dimensions: refused, clearance: policy.clearance },
      },
    );
}
