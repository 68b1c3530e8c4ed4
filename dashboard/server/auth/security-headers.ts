/**
 * Headers on every API answer: nothing in a JSON answer may run or be framed. Pages get their
 * own CSP from SvelteKit (kit.csp with per-response hashes for its hydration script), plus the
 * framing and transport headers from `pageSecurityHeaders`.
 */
export function apiSecurityHeaders(secure: boolean): Record<string, string> {
  return {
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    ...pageSecurityHeaders(secure),
  };
}

/** Headers for every response, pages included. HSTS only when Pulse is reached over https. */
export function pageSecurityHeaders(secure: boolean): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
    ...(secure ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

/**
 * The page CSP: scripts only from Pulse itself (SvelteKit adds hashes of its inline bootstrap),
 * ECharts draws on canvas/SVG and needs inline styles, no framing by other sites.
 */
export const pageCspDirectives = {
  'default-src': ['self'],
  'script-src': ['self'],
  // Svelte and ECharts set style attributes; stylesheets still come only from Pulse.
  'style-src-elem': ['self'],
  'style-src-attr': ['unsafe-inline'],
  'img-src': ['self', 'data:', 'blob:'],
  'font-src': ['self', 'data:'],
  'connect-src': ['self'],
  'frame-ancestors': ['none'],
  'base-uri': ['self'],
  'form-action': ['self'],
  'object-src': ['none'],
} as const;
