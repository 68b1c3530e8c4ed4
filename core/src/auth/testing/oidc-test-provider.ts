// Test helper: a real OpenID provider (the `oidc-provider` package, the certified implementation
// many identity products build on) on 127.0.0.1, so SSO tests exercise discovery, PKCE, signed ID
// tokens and userinfo exactly as a deployment would. Sign-in and consent use the provider's
// development interactions: a plain HTML form that accepts any account id, driven by
// `authorizeAtProvider` over HTTP.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import type { TestBrowser } from './test-browser.ts';

/** An account at the provider; tests may change its fields between sign-ins. */
export interface TestAccount {
  email?: string;
  emailVerified?: boolean;
  name?: string;
  groups?: string[];
  /** Slug of the Pulse workspace to land in (the `workspace` claim). */
  workspace?: string;
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface OidcTestProvider {
  issuer: string;
  /** Accounts by subject; claims are read at every sign-in, so edits apply to the next one. */
  accounts: Map<string, TestAccount>;
  close(): Promise<void>;
}

/**
 * Starts the provider on a free loopback port. Scopes `email`, `profile` and `groups` release
 * (email, email_verified), (name) and (groups, workspace); the ID token carries only `sub` and
 * protocol claims (the provider's default), so a client must read the rest from userinfo.
 */
export async function startOidcTestProvider(options: {
  clients: TestClient[];
  accounts: Record<string, TestAccount>;
}): Promise<OidcTestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map(Object.entries(options.accounts));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const configuration: Configuration = {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [c.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups', 'workspace'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    // Explicit lifetimes keep the provider from printing a notice per artifact kind.
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 3600,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
    },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, sub) {
      if (!accounts.has(sub)) return undefined;
      return {
        accountId: sub,
        async claims() {
          const a = accounts.get(sub) ?? {};
          return {
            sub,
            ...(a.email === undefined ? {} : { email: a.email, email_verified: a.emailVerified ?? false }),
            ...(a.name === undefined ? {} : { name: a.name }),
            ...(a.groups === undefined ? {} : { groups: a.groups }),
            ...(a.workspace === undefined ? {} : { workspace: a.workspace }),
          };
        },
      };
    },
  };
  const provider = new Provider(issuer, configuration);
  server.on('request', provider.callback());
  return {
    issuer,
    accounts,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * Plays the person at the provider: follows redirects from the authorization URL through the
 * login and consent forms (or aborts, like a user pressing "cancel") until the provider sends the
 * browser to `redirectUri`, and returns that callback URL without fetching it. A browser that
 * already has a provider session and a grant goes straight through, as in real life.
 */
export async function authorizeAtProvider(
  browser: TestBrowser,
  authorizationUrl: string,
  options: { redirectUri: string; login: string; decision?: 'allow' | 'deny' },
): Promise<string> {
  let url = authorizationUrl;
  for (let step = 0; step < 12; step++) {
    if (url.startsWith(options.redirectUri)) return url;
    let res = await browser.fetch(url);
    if (res.status === 200 && new URL(url).pathname.startsWith('/interaction/')) {
      const prompt = /name="prompt" value="(\w+)"/.exec(await res.text())?.[1];
      if (options.decision === 'deny') {
        res = await browser.fetch(`${url}/abort`);
      } else {
        const form = new URLSearchParams({ prompt: prompt ?? '' });
        if (prompt === 'login') form.set('login', options.login);
        res = await browser.fetch(url, { method: 'POST', body: form });
      }
    }
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location)
      throw new Error(`unexpected ${res.status} from the provider at ${url}: ${await res.text()}`);
    url = new URL(location, url).href;
  }
  throw new Error('the provider did not redirect back within 12 steps');
}
