import { PulseError } from '@pulse/core';
import { clearSessionCookie, csrfTokenFor, readSessionCookie, sessionCookie } from '@pulse/core/auth/index';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { publicRoute, signedIn } from './access.ts';
import type { AuthServices } from './auth-services.ts';

const loginBody = z.object({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1024),
});
const codeBody = z.object({ code: z.string().trim().min(6).max(32) });
const setupBody = z.object({ token: z.string().min(16).max(200), password: z.string().min(1).max(1024) });

export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw new PulseError('INVALID_REQUEST', `the ${what} is not valid`, {
    context: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    hint: 'See /api/v1/openapi.json for the expected body.',
  });
}

/** What the sign-in page needs to know before anyone is signed in. */
export interface SignInOptions {
  /** SSO is configured: the page shows "Sign in with single sign-on". */
  oidc: boolean;
}

/**
 * Creates a session for a user whose identity is settled (password + second factor, or SSO),
 * sets the cookie and records the sign-in. Shared by the password flow and the OIDC callback.
 */
export function createSignIn(auth: AuthServices) {
  return async (
    request: FastifyRequest,
    reply: FastifyReply,
    who: { userId: string; workspaceId?: string | null; method: 'password' | 'oidc'; mfaPending?: boolean },
  ): Promise<string> => {
    const old = readSessionCookie(request.headers.cookie);
    // A fresh id on every sign-in: an id planted before sign-in is worth nothing after.
    if (old) await auth.sessions.revoke(old, 'rotated');
    const id = await auth.sessions.createSession(who.userId, {
      sourceIp: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
      mfaPending: who.mfaPending ?? false,
    });
    reply.header('set-cookie', sessionCookie(id, { secure: auth.secure }));
    await auth.audit.record({
      workspaceId: who.workspaceId ?? null,
      actorType: 'user',
      actorId: who.userId,
      action: who.mfaPending ? 'auth.password_accepted' : 'auth.login',
      sourceIp: request.ip,
      outcome: 'success',
      details: { method: who.method },
    });
    return id;
  };
}

/**
 * Sign-in, second factor, sign-out and the caller's own profile. Answers never reveal whether
 * an e-mail address has an account.
 */
export function registerAuthRoutes(app: FastifyInstance, auth: AuthServices, options: SignInOptions): void {
  const signIn = createSignIn(auth);

  app.get(
    '/api/v1/auth/providers',
    { config: publicRoute('the sign-in page asks how to sign in') },
    async () => ({
      password: true,
      oidc: options.oidc ? { startUrl: '/auth/oidc/start' } : null,
    }),
  );

  app.post('/api/v1/auth/login', { config: publicRoute('signing in') }, async (request, reply) => {
    const { email, password } = parseBody(loginBody, request.body, 'sign-in');
    try {
      const { user, mfa } = await auth.accounts.login(email, password, request.ip);
      const id = await signIn(request, reply, {
        userId: user.id,
        method: 'password',
        mfaPending: mfa !== 'none',
      });
      return {
        user: { id: user.id, email: user.email, displayName: user.displayName },
        mfa,
        csrfToken: csrfTokenFor(id, auth.csrfKey),
      };
    } catch (err) {
      await auth.audit.record({
        actorType: 'anonymous',
        actorId: email.toLowerCase(),
        action: 'auth.login',
        sourceIp: request.ip,
        outcome: 'failure',
        details: { reason: err instanceof PulseError ? err.code : 'error' },
      });
      throw err;
    }
  });

  app.post(
    '/api/v1/auth/mfa/verify',
    { config: signedIn({ allowMfaPending: true }) },
    async (request, reply) => {
      const p = request.principal;
      const userId = p.mfaPendingUserId;
      if (!userId || !p.sessionId)
        throw new PulseError('MFA_NOT_PENDING', 'there is no sign-in waiting for a second factor', {
          hint: 'Sign in with your password first.',
        });
      const { code } = parseBody(codeBody, request.body, 'code');
      try {
        const verified = await auth.mfa.verify(userId, code, request.ip);
        const id = await auth.sessions.rotate(p.sessionId, { mfaPending: false });
        reply.header('set-cookie', sessionCookie(id, { secure: auth.secure }));
        await auth.audit.record({
          actorType: 'user',
          actorId: userId,
          action: 'auth.login',
          sourceIp: request.ip,
          outcome: 'success',
          details: { method: 'password', secondFactor: verified.method },
        });
        return {
          ok: true,
          recoveryCodesLeft: verified.recoveryCodesLeft,
          csrfToken: csrfTokenFor(id, auth.csrfKey),
        };
      } catch (err) {
        await auth.audit.record({
          actorType: 'user',
          actorId: userId,
          action: 'auth.mfa_verify',
          sourceIp: request.ip,
          outcome: 'failure',
          details: { reason: err instanceof PulseError ? err.code : 'error' },
        });
        throw err;
      }
    },
  );

  app.post('/api/v1/auth/mfa/enrol', { config: signedIn({ allowMfaPending: true }) }, async (request) => {
    const userId = request.principal.userId ?? request.principal.mfaPendingUserId!;
    const enrolment = await auth.mfa.startEnrolment(userId);
    return enrolment;
  });

  app.post(
    '/api/v1/auth/mfa/enrol/confirm',
    { config: signedIn({ allowMfaPending: true }) },
    async (request, reply) => {
      const p = request.principal;
      const userId = p.userId ?? p.mfaPendingUserId!;
      const { code } = parseBody(codeBody, request.body, 'code');
      const { recoveryCodes } = await auth.mfa.confirmEnrolment(userId, code);
      // Gaining a factor is a privilege change: rotate the session id.
      const id = await auth.sessions.rotate(p.sessionId!, { mfaPending: false });
      reply.header('set-cookie', sessionCookie(id, { secure: auth.secure }));
      await auth.audit.record({
        workspaceId: p.workspaceId,
        actorType: 'user',
        actorId: userId,
        action: 'auth.mfa_enrolled',
        sourceIp: request.ip,
        outcome: 'success',
      });
      return { recoveryCodes, csrfToken: csrfTokenFor(id, auth.csrfKey) };
    },
  );

  app.post('/api/v1/auth/logout', { config: signedIn({ allowMfaPending: true }) }, async (request, reply) => {
    const p = request.principal;
    if (p.sessionId) await auth.sessions.revoke(p.sessionId, 'logout');
    reply.header('set-cookie', clearSessionCookie({ secure: auth.secure }));
    await auth.audit.record({
      workspaceId: p.workspaceId,
      actorType: 'user',
      actorId: p.userId ?? p.mfaPendingUserId,
      action: 'auth.logout',
      sourceIp: request.ip,
      outcome: 'success',
    });
    return { ok: true };
  });

  app.post('/api/v1/auth/logout-everywhere', { config: signedIn() }, async (request, reply) => {
    const p = request.principal;
    const ended = await auth.sessions.revokeAllForUser(p.userId!);
    reply.header('set-cookie', clearSessionCookie({ secure: auth.secure }));
    await auth.audit.record({
      workspaceId: p.workspaceId,
      actorType: 'user',
      actorId: p.userId,
      action: 'auth.logout_everywhere',
      sourceIp: request.ip,
      outcome: 'success',
      details: { sessions: ended },
    });
    return { ok: true, sessionsEnded: ended };
  });

  app.get('/api/v1/auth/me', { config: signedIn() }, async (request) => {
    const p = request.principal;
    const workspaces = await auth.members.ofUser(p.userId!);
    return {
      user: { id: p.userId, email: p.email, isInstanceAdmin: p.isInstanceAdmin },
      via: p.kind,
      workspace: { id: p.workspaceId, role: p.role },
      permissions: [...p.permissions].sort(),
      attributes: p.attributes,
      workspaces: workspaces.map((m) => ({ id: m.workspaceId, slug: m.workspaceSlug, role: m.role })),
      mfa: p.kind === 'user' ? await auth.mfa.status(p.userId!) : null,
      csrfToken: p.sessionId ? csrfTokenFor(p.sessionId, auth.csrfKey) : null,
    };
  });

  app.get('/api/v1/auth/sessions', { config: signedIn() }, async (request) => {
    const sessions = await auth.sessions.listForUser(request.principal.userId!);
    return { sessions };
  });

  app.post(
    '/api/v1/auth/setup',
    { config: publicRoute('setting a password through a one-time link') },
    async (request) => {
      const { token, password } = parseBody(setupBody, request.body, 'setup');
      const user = await auth.accounts.completeSetup(token, password);
      await auth.audit.record({
        actorType: 'user',
        actorId: user.id,
        action: 'auth.password_set',
        sourceIp: request.ip,
        outcome: 'success',
      });
      return { ok: true, email: user.email };
    },
  );
}
