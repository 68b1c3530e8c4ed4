import { error } from '@sveltejs/kit';
import type { Handle } from '@sveltejs/kit/hooks';

const servicesKey = Symbol.for('pulse.services');

/**
 * The Pulse server leaves its services (engines included) on the Node request before handing it
 * to SvelteKit; routes read them from `locals` and never open an engine themselves.
 */
export const handle: Handle = async ({ event, resolve }) => {
  const services = (
    event.platform?.req as unknown as Record<symbol, App.Locals['services'] | undefined> | undefined
  )?.[servicesKey];
  if (!services)
    error(503, {
      message: 'The dashboard runs inside the Pulse server.',
      hint: 'Start it with `npm start`.',
    });
  event.locals.services = services;
  const response = await resolve(event);
  response.headers.set('x-content-type-options', 'nosniff');
  response.headers.set('referrer-policy', 'same-origin');
  return response;
};
