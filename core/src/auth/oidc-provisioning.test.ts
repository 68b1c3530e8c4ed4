import { describe, expect, it } from 'vitest';
import { isPulseError } from '../errors/index.ts';
import { mapRole, oidcClaims, type RoleMapping } from './oidc-provisioning.ts';

const mapping: RoleMapping = {
  roleClaim: 'groups',
  roleMap: { staff: 'viewer', analysts: 'analyst', editors: 'editor', 'bi-admins': 'admin' },
  defaultRole: undefined,
};

describe('mapRole', () => {
  it('gives the highest role any claim value maps to, whatever the order', () => {
    expect(mapRole({ groups: ['bi-admins', 'staff'] }, mapping)).toBe('admin');
    expect(mapRole({ groups: ['staff', 'editors', 'analysts'] }, mapping)).toBe('editor');
  });

  it('reads a single string claim as one value', () => {
    expect(mapRole({ groups: 'analysts' }, mapping)).toBe('analyst');
  });

  it('reads the configured claim only', () => {
    const byRole = { ...mapping, roleClaim: 'pulse_role' };
    expect(mapRole({ pulse_role: ['editors'], groups: ['bi-admins'] }, byRole)).toBe('editor');
  });

  it('ignores values that are not strings and names inherited from Object', () => {
    const err = catchError(() =>
      mapRole({ groups: [{ name: 'bi-admins' }, 42, 'constructor', 'toString'] }, mapping),
    );
    expect(err?.code).toBe('SSO_NO_ROLE');
  });

  it('falls back to the default role when nothing matches', () => {
    expect(mapRole({ groups: ['marketing'] }, { ...mapping, defaultRole: 'viewer' })).toBe('viewer');
    expect(mapRole({}, { ...mapping, defaultRole: 'analyst' })).toBe('analyst');
  });

  it('refuses with a hint naming the claim when no role applies', () => {
    const err = catchError(() => mapRole({ groups: ['marketing'] }, mapping));
    expect(err?.code).toBe('SSO_NO_ROLE');
    expect(err?.hint).toContain('"groups"');
    // The claim's values are personal data: only their number reaches logs.
    expect(err?.context).toEqual({ roleClaim: 'groups', claimValues: 1 });
  });
});

describe('oidcClaims', () => {
  it('accepts email_verified sent as a string, as some providers do', () => {
    expect(oidcClaims.parse({ sub: 'x', email_verified: 'true' }).email_verified).toBe(true);
    expect(oidcClaims.parse({ sub: 'x', email_verified: 'false' }).email_verified).toBe(false);
  });

  it('refuses a workspace claim that is not a slug', () => {
    expect(oidcClaims.safeParse({ sub: 'x', workspace: '../admin' }).success).toBe(false);
  });
});

function catchError(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (isPulseError(err)) return err;
    throw err;
  }
  return undefined;
}
