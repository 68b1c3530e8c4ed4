import { isPulseError, PulseError } from '@pulse/core';
import type { AuditLog } from '@pulse/core/audit/index';
import type { OidcService } from '@pulse/core/auth/index';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { publicRoute } from '../auth/access.ts';

export interface OidcRoutesOptions {
  oidc: OidcService;
  /**
   * Creates the session and sets its cookie for a user whose identity is settled; the HTTP auth
   * layer's `createSignIn(auth)` fits.
   */
  signIn: (
    request: FastifyRequest,
    reply: FastifyReply,
    who: { userId: string; workspaceId: string; method: 'oidc' },
  ) => Promise<unknown>;
  /** Records refused sign-ins (successful ones are recorded by `signIn`). */
  audit?: Pick<AuditLog, 'record'>;
}

export const oidcStateCookieName = 'pulse_oidc_state';

const startQuery = z.object({ returnTo: z.string().max(2048).optional() });
// Providers add parameters of their own (iss, session_state): only these are read, each once.
const callbackQuery = z.looseObject({
  code: z.string().max(4096).optional(),
  state: z.string().max(1024).optional(),
  error: z.string().max(256).optional(),
});

/** Status for each refusal; the person sees the message and hint, never a stack or a token. */
const statusByCode: Record<string, number> = {
  SSO_RETURN_TO_INVALID: 400,
  SSO_STATE_INVALID: 400,
  SSO_CALLBACK_INVALID: 400,
  SSO_CLAIMS_INVALID: 400,
  SSO_DENIED: 403,
  SSO_NO_ROLE: 403,
  SSO_ACCOUNT_DISABLED: 403,
  SSO_WORKSPACE_NOT_FOUND: 403,
  SSO_EMAIL_CONFLICT: 409,
  SSO_PROVIDER_UNAVAILABLE: 503,
};

/** The person was identified but may not enter, as opposed to a broken or forged flow. */
const deniedCodes = new Set(['SSO_NO_ROLE', 'SSO_ACCOUNT_DISABLED', 'SSO_DENIED']);

/**
 * Single sign-on with OpenID Connect: `/auth/oidc/start` sends the browser to the provider with
 * the flow's secrets sealed in a cookie; `/auth/oidc/callback` checks the answer against that
 * cookie, provisions the user and signs them in. Both are public: they are how one signs in.
 */
export function registerOidcRoutes(app: FastifyInstance, options: OidcRoutesOptions): void {
  const { oidc, signIn, audit } = options;
  const secure = oidc.redirectUri.startsWith('https:');

  app.get('/auth/oidc/start', { config: publicRoute('starts single sign-on') }, async (request, reply) => {
    try {
      const query = parse(startQuery, request.query);
      const start = await oidc.begin(query.returnTo ?? '/');
      const maxAge = Math.max(1, Math.floor((start.expiresAt.getTime() - Date.now()) / 1000));
      reply.header('set-cookie', stateCookie(start.stateBlob, { secure, maxAge }));
      reply.header('cache-control', 'no-store');
      return reply.redirect(start.authorizationUrl, 302);
    } catch (err) {
      return sendSsoError(request, reply, err);
    }
  });

  app.get(
    '/auth/oidc/callback',
    { config: publicRoute('the identity provider returns the browser here to finish single sign-on') },
    async (request, reply) => {
      // The state cookie is single-use whatever the outcome: a failed attempt starts over.
      reply.header('set-cookie', stateCookie('', { secure, maxAge: 0 }));
      reply.header('cache-control', 'no-store');
      try {
        parse(callbackQuery, request.query);
        const result = await oidc.complete(
          request.url,
          readCookie(request.headers.cookie, oidcStateCookieName),
        );
        await signIn(request, reply, {
          userId: result.userId,
          workspaceId: result.workspaceId,
          method: 'oidc',
        });
        return reply.redirect(result.returnTo, 302);
      } catch (err) {
        await audit?.record({
          actorType: 'anonymous',
          action: 'auth.login',
          sourceIp: request.ip,
          outcome: isPulseError(err) && deniedCodes.has(err.code) ? 'denied' : 'failure',
          details: { method: 'oidc', reason: isPulseError(err) ? err.code : 'error' },
        });
        return sendSsoError(request, reply, err);
      }
    },
  );
}

/**
 * HttpOnly: scripts never see the PKCE verifier. SameSite=Lax: the provider brings the browser
 * back with a top-level GET, which Lax cookies accompany, while cross-site subrequests don't get
 * it. Path=/auth/oidc: no other request carries it.
 */
function stateCookie(value: string, options: { secure: boolean; maxAge: number }): string {
  return `${oidcStateCookieName}=${value}; HttpOnly; SameSite=Lax; Path=/auth/oidc; Max-Age=${options.maxAge}${options.secure ? '; Secure' : ''}`;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

function parse<T>(schema: z.ZodType<T>, query: unknown): T {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  throw new PulseError('SSO_CALLBACK_INVALID', 'the sign-in link has unexpected parameters', {
    context: { fields: parsed.error.issues.map((i) => i.path.join('.')) },
    hint: 'Start the sign-in again from the Pulse sign-in page.',
  });
}

/** A refusal as a page a person can act on, or as JSON for scripts and the SPA. */
function sendSsoError(request: FastifyRequest, reply: FastifyReply, err: unknown) {
  const known = isPulseError(err) && err.code in statusByCode;
  const status = known ? (statusByCode[err.code] ?? 500) : 500;
  const body = known
    ? { code: err.code, message: err.message, hint: err.hint }
    : {
        code: 'INTERNAL',
        message: 'Single sign-on failed on our side.',
        hint: `Quote request id ${request.id} when reporting it.`,
      };
  if (status >= 500) request.log.error({ err }, 'sso sign-in failed');
  else request.log.info({ code: body.code }, 'sso sign-in refused');
  reply.status(status);
  // Browsers ask for HTML first; fetch() from the SPA or a script asks for JSON.
  const accept = request.headers.accept ?? '';
  if (accept.includes('application/json') && !accept.includes('text/html'))
    return reply.send({ error: { ...body, requestId: request.id } });
  return reply.type('text/html; charset=utf-8').send(errorPage(body, request.id));
}

function errorPage(
  error: { code: string; message: string; hint: string | undefined },
  requestId: string,
): string {
  const sentence = error.message.charAt(0).toUpperCase() + error.message.slice(1);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in failed · Pulse</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#1f2937}
h1{font-size:1.4rem}code{color:#6b7280;font-size:.85rem}a{color:#2563eb}</style></head>
<body><main><h1>Sign-in failed</h1>
<p>${escapeHtml(sentence)}.</p>
${error.hint ? `<p>${escapeHtml(error.hint)}</p>` : ''}
<p><a href="/login">Back to sign-in</a></p>
<p><code>${escapeHtml(error.code)} · request ${escapeHtml(requestId)}</code></p></main></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
