import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { pageCspDirectives } from './server/auth/security-headers.ts';

// SvelteKit 3 takes its configuration here (a svelte.config.js is refused). The Pulse server
// mounts the built handler and owns the engines; routes reach them through event.locals.
export default defineConfig({
  // Pages get a CSP with a fresh nonce per response for SvelteKit's inline bootstrap and the
  // theme script in app.html; everything else must come from Pulse itself.
  plugins: [
    sveltekit({
      adapter: adapter({ out: 'build' }),
      csp: { mode: 'nonce', directives: structuredClone(pageCspDirectives) as never },
    }),
  ],
});
