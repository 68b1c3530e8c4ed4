import { isPulseError, type Logger } from '@pulse/core';
import type { AuditLog } from '@pulse/core/audit/index';
import type { PrivacyRequest, PrivacyRequests } from '@pulse/core/privacy/index';
import type { Warehouse } from '../create-warehouse.ts';
import { eraseSubject } from './erase-subject.ts';
import { exportSubject } from './export-subject.ts';
import type { Subject } from './subject.ts';
import { verifyErasure } from './verify-erasure.ts';

export interface PrivacyProcessorDeps {
  warehouse: Warehouse;
  requests: PrivacyRequests;
  audit?: AuditLog;
  logger?: Logger;
}

/**
 * Carries out one ledger entry: an erasure (erase, then verify, and keep both results) or an
 * access export (the JSON-lines file goes into the ledger's export table). A failure is kept on the
 * request with its error code, and the request can be run again: every step is idempotent.
 */
export async function processPrivacyRequest(
  deps: PrivacyProcessorDeps,
  request: PrivacyRequest,
): Promise<PrivacyRequest> {
  const { warehouse, requests } = deps;
  const subject = subjectOf(request);
  await requests.markRunning(request.id);
  try {
    if (request.kind === 'erasure') {
      const erased = await eraseSubject(warehouse, request.workspaceId, subject);
      const exportsDeleted = await requests.deleteExportsOf(request.workspaceId, erased.identities);
      await requests.complete(
        request.id,
        { ...erased.removed, privacy_exports: exportsDeleted },
        erased.rebuilt,
      );
      const verification = await verifyErasure(warehouse, request.workspaceId, subject, erased.rebuilt);
      await requests.recordVerification(request.id, { ...verification });
    } else {
      const exported = await exportSubject(warehouse, request.workspaceId, subject);
      const rows = Object.values(exported.rows).reduce((a, b) => a + b, 0);
      await requests.saveExport(request.id, exported.jsonLines, rows);
      await requests.complete(request.id, exported.rows);
    }
  } catch (err) {
    const reason = isPulseError(err)
      ? `${err.code}: ${err.message}`
      : 'unexpected error (see the server log)';
    deps.logger?.error({ err, requestId: request.id, kind: request.kind }, 'privacy request failed');
    await requests.fail(request.id, reason);
  }
  const done = (await requests.getAny(request.id))!;
  await deps.audit?.record({
    workspaceId: done.workspaceId,
    actorType: 'system',
    actorId: 'privacy',
    action: `privacy.${done.kind}_${done.status === 'completed' ? 'completed' : 'failed'}`,
    targetType: 'privacy_request',
    targetId: done.id,
    outcome: done.status === 'completed' ? 'success' : 'failure',
    // Counts only: the subject is in the ledger, and the audit log is kept forever.
    details: {
      tableCounts: done.tableCounts,
      verified: (done.verification?.ok as boolean | undefined) ?? null,
    },
  });
  return done;
}

/** Runs requests one at a time per process, so two erasures never rebuild the same rollup day at once. */
export function createPrivacyQueue(deps: PrivacyProcessorDeps) {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    enqueue(request: PrivacyRequest): Promise<PrivacyRequest> {
      const next = tail.then(() => processPrivacyRequest(deps, request));
      tail = next.catch(() => undefined);
      return next;
    },
    /** Resolves when everything enqueued so far has finished. */
    idle: () => tail.then(() => undefined),
  };
}
export type PrivacyQueue = ReturnType<typeof createPrivacyQueue>;

export const subjectOf = (r: Pick<PrivacyRequest, 'subjectType' | 'subject'>): Subject =>
  r.subjectType === 'email' ? { email: r.subject } : { userId: r.subject };
