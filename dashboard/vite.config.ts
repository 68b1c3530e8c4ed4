import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// SvelteKit 3 takes its configuration here (a svelte.config.js is refused). The Pulse server
// mounts the built handler and owns the engines; routes reach them through event.locals.
export default defineConfig({
  plugins: [sveltekit({ adapter: adapter({ out: 'build' }) })],
});
