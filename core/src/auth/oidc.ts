import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import { z } from 'zod';
import type { OidcConfig } from '../config/index.ts';
import { isPulseError, PulseError } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import type { MetadataStore } from '../metadata/index.ts';
import { mapRole, oidcClaims, type ProvisionedUser, provisionOidcUser } from './oidc-provisioning.ts';
import { deriveKey, open, seal } from './secret-box.ts';

export interface OidcServiceOptions {
  config: OidcConfig;
  metadata: MetadataStore;
  /** Where users reach Pulse; the redirect URI is `${publicUrl}/auth/oidc/callback`. */
  publicUrl: string;
  /** The server secret; the state cookie is sealed under a key derived from it. */
  secretKey: string | Uint8Array;
  now?: () => Date;
  logger?: Logger;
  /** How long a person may take at the provider between start and callback; 10 min by default. */
  stateTtlMs?: number;
}

export interface OidcStart {
  /** Send the browser here (302). */
  authorizationUrl: string;
  /** Put this in an HttpOnly cookie and hand it back to `complete`. */
  stateBlob: string;
  expiresAt: Date;
}

export type OidcSignIn = ProvisionedUser;

export interface OidcService {
  redirectUri: string;
  begin(returnTo?: string): Promise<OidcStart>;
  /** Validates the provider's answer against the state cookie and provisions the user. */
  complete(
    callbackUrl: string | URL,
    stateBlob: string | undefined,
  ): Promise<OidcSignIn & { returnTo: string }>;
}

/** What the state cookie carries between start and callback; sealed, so the browser can't read or change it. */
const sealedState = z.object({
  v: z.literal(1),
  id: z.string(),
  codeVerifier: z.string().min(43),
  state: z.string().min(16),
  nonce: z.string().min(16),
  returnTo: z.string(),
  exp: z.number(),
});

/**
 * OpenID Connect sign-in with the authorization code flow, PKCE (S256), state and nonce, on
 * openid-client. The provider's metadata is discovered on first use and kept; a failed
 * discovery is retried on the next sign-in rather than cached.
 */
export function createOidcService(opts: OidcServiceOptions): OidcService {
  const { config, metadata } = opts;
  const now = opts.now ?? (() => new Date());
  const ttlMs = opts.stateTtlMs ?? 10 * 60_000;
  const stateKey = deriveKey(opts.secretKey, 'oidc-state');
  const redirectUri = `${opts.publicUrl.replace(/\/+$/, '')}/auth/oidc/callback`;
  const issuerUrl = checkedIssuer(config.issuer);
  const scope = [...new Set(['openid', ...config.scopes])].join(' ');
  // Replay guard within this process; across processes the provider's single-use code refuses it.
  const consumed = new Map<string, number>();
  let discovered: Promise<client.Configuration> | undefined;

  function discover(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(
        issuerUrl,
        config.clientId,
        undefined,
        config.clientSecret ? client.ClientSecretBasic(config.clientSecret) : client.None(),
        {
          timeout: 10,
          ...(issuerUrl.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
        },
      )
      .catch((err: unknown) => {
        discovered = undefined;
        throw new PulseError('SSO_PROVIDER_UNAVAILABLE', 'the identity provider could not be reached', {
          retriable: true,
          cause: err,
          context: { issuer: config.issuer },
          hint: 'Try again in a moment; if it persists, check PULSE_OIDC_ISSUER and that Pulse can reach the provider.',
        });
      });
    return discovered;
  }

  return {
    redirectUri,

    async begin(returnTo = '/') {
      const target = safeReturnTo(returnTo);
      const oidc = await discover();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const expiresAt = new Date(now().getTime() + ttlMs);
      const authorizationUrl = client.buildAuthorizationUrl(oidc, {
        redirect_uri: redirectUri,
        scope,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      const payload = {
        v: 1,
        id: randomUUID(),
        codeVerifier,
        state,
        nonce,
        returnTo: target,
        exp: expiresAt.getTime(),
      };
      return {
        authorizationUrl: authorizationUrl.href,
        stateBlob: seal(stateKey, JSON.stringify(payload)),
        expiresAt,
      };
    },

    async complete(callbackUrl, stateBlob) {
      const saved = openState(stateBlob);
      const t = now().getTime();
      for (const [id, exp] of consumed) if (exp < t) consumed.delete(id);
      if (saved.exp < t) throw stateError('the sign-in took too long and expired');
      if (consumed.has(saved.id)) throw stateError('this sign-in was already completed');
      consumed.set(saved.id, saved.exp);
      const oidc = await discover();
      // Only the query counts: the callback is rebuilt on the registered redirect URI, so a proxy
      // in front of Pulse that rewrites host or path cannot make the token request fail.
      const current = new URL(redirectUri);
      current.search = new URL(callbackUrl, redirectUri).search;
      const claims = await exchange(oidc, current, saved);
      const role = mapRole(claims, config);
      const issuer = oidc.serverMetadata().issuer;
      const user = await provisionOidcUser(metadata.db, { issuer, claims, role, now: now() });
      opts.logger?.info(
        { userId: user.userId, workspaceId: user.workspaceId, role, account: user.account, issuer },
        'sso sign-in',
      );
      return { ...user, returnTo: saved.returnTo };
    },
  };

  function openState(blob: string | undefined): z.infer<typeof sealedState> {
    if (!blob) throw stateError('the sign-in state cookie is missing');
    try {
      return sealedState.parse(JSON.parse(open(stateKey, blob)));
    } catch {
      throw stateError('the sign-in state cookie is not valid');
    }
  }

  async function exchange(oidc: client.Configuration, current: URL, saved: z.infer<typeof sealedState>) {
    try {
      const tokens = await client.authorizationCodeGrant(oidc, current, {
        pkceCodeVerifier: saved.codeVerifier,
        expectedState: saved.state,
        expectedNonce: saved.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      // Unreachable with a nonce expected (openid-client then demands an ID token); narrows the type.
      if (!idClaims) throw new client.ClientError('the token response carries no ID token');
      // Providers often keep profile claims (e-mail, groups) out of the ID token: ask userinfo.
      const userinfo = oidc.serverMetadata().userinfo_endpoint
        ? await client.fetchUserInfo(oidc, tokens.access_token, idClaims.sub)
        : {};
      const parsed = oidcClaims.safeParse({ ...idClaims, ...userinfo, sub: idClaims.sub });
      if (!parsed.success)
        throw new PulseError('SSO_CLAIMS_INVALID', 'the identity provider sent claims Pulse cannot use', {
          context: { fields: parsed.error.issues.map((i) => i.path.join('.')) },
          hint: 'Check the e-mail and workspace claims the provider releases for this client.',
        });
      return parsed.data;
    } catch (err) {
      throw translateProtocolError(err);
    }
  }
}

/**
 * A path on this site to land on after sign-in. Absolute URLs, protocol-relative `//host` and
 * `/\host` (which browsers read as `//host`) are refused so the flow cannot become an open redirect.
 */
export function safeReturnTo(value: string): string {
  const ok =
    value.startsWith('/') &&
    !value.startsWith('//') &&
    !value.startsWith('/\\') &&
    value.length <= 2048 &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
    !/[\u0000-\u001f\u007f]/.test(value);
  if (!ok)
    throw new PulseError(
      'SSO_RETURN_TO_INVALID',
      'returnTo must be a path on this site, such as /dashboards',
      {
        hint: 'Start sign-in from a Pulse page, or pass a relative path beginning with a single /.',
      },
    );
  return value;
}

function checkedIssuer(issuer: string): URL {
  const url = new URL(issuer);
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  // The client secret and the user's tokens travel to the issuer: plain HTTP only on this machine.
  if (url.protocol === 'http:' && !loopback)
    throw new PulseError('SSO_CONFIG_INVALID', `PULSE_OIDC_ISSUER must use https (got ${url.origin})`, {
      hint: 'Use the https:// issuer URL of your identity provider; http is accepted only on loopback.',
    });
  return url;
}

function stateError(message: string): PulseError {
  return new PulseError('SSO_STATE_INVALID', message, {
    hint: 'Start the sign-in again from the Pulse sign-in page, in the same browser.',
  });
}

/** openid-client's errors to Pulse codes; the provider's error text is kept, tokens never are. */
function translateProtocolError(err: unknown): PulseError {
  if (isPulseError(err)) return err;
  if (err instanceof client.AuthorizationResponseError) {
    const denied = err.error === 'access_denied' || err.error === 'consent_required';
    return new PulseError(
      denied ? 'SSO_DENIED' : 'SSO_CALLBACK_INVALID',
      denied
        ? 'sign-in was cancelled at the identity provider'
        : `the identity provider refused the sign-in (${err.error})`,
      {
        cause: err,
        context: { error: err.error },
        hint: denied
          ? 'Start the sign-in again and accept the request at the provider.'
          : 'Start the sign-in again; if it persists, ask your administrator.',
      },
    );
  }
  if (err instanceof client.ResponseBodyError)
    return new PulseError('SSO_CALLBACK_INVALID', `the identity provider refused the code (${err.error})`, {
      cause: err,
      context: { error: err.error, status: err.status },
      hint: 'A sign-in link works once: start the sign-in again.',
    });
  if (err instanceof client.ClientError)
    return new PulseError(
      'SSO_CALLBACK_INVALID',
      `the identity provider's answer failed validation: ${err.message}`,
      {
        cause: err,
        context: { check: err.code },
        hint: 'Start the sign-in again in the same browser; if it persists, check the client settings at the provider.',
      },
    );
  return new PulseError('SSO_PROVIDER_UNAVAILABLE', 'the identity provider could not be reached', {
    retriable: true,
    cause: err,
    hint: 'Try again in a moment.',
  });
}
