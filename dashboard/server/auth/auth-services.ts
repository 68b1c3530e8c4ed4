import { type AuditLog, createAuditLog } from '@pulse/core/audit/index';
import {
  type AccountService,
  type ApiKeyService,
  createAccountService,
  createApiKeyService,
  createMfaService,
  createSessionService,
  deriveKey,
  type MfaService,
  type SessionService,
} from '@pulse/core/auth/index';
import type { MetadataStore } from '@pulse/core';
import {
  type MembersRepository,
  membersRepository,
  type RolesRepository,
  rolesRepository,
} from '@pulse/core/rbac/index';

/** Everything the HTTP auth layer needs, built once per process from the metadata store. */
export interface AuthServices {
  metadata: MetadataStore;
  accounts: AccountService;
  sessions: SessionService;
  mfa: MfaService;
  apiKeys: ApiKeyService;
  roles: RolesRepository;
  members: MembersRepository;
  audit: AuditLog;
  serverSecret: string;
  csrfKey: Buffer;
  /** Cookies get `Secure` and responses HSTS when Pulse is reached over https. */
  secure: boolean;
}

export interface AuthServicesOptions {
  serverSecret: string;
  secure: boolean;
  sessionIdleMs?: number;
  sessionAbsoluteMs?: number;
  now?: () => Date;
  audit?: AuditLog;
}

export function createAuthServices(metadata: MetadataStore, options: AuthServicesOptions): AuthServices {
  const { now } = options;
  return {
    metadata,
    accounts: createAccountService(metadata.db, { now }),
    sessions: createSessionService(metadata.db, {
      now,
      idleTimeoutMs: options.sessionIdleMs,
      absoluteTimeoutMs: options.sessionAbsoluteMs,
    }),
    mfa: createMfaService(metadata.db, { serverSecret: options.serverSecret, now }),
    apiKeys: createApiKeyService(metadata.db, { now }),
    roles: rolesRepository(metadata.db),
    members: membersRepository(metadata.db),
    audit: options.audit ?? createAuditLog(metadata.db),
    serverSecret: options.serverSecret,
    csrfKey: deriveKey(options.serverSecret, 'csrf'),
    secure: options.secure,
  };
}
