/**
 * The strapi::security (helmet) settings for every response. The Content-Security-Policy is what the admin panel
 * needs in production: Strapi 5's own defaults (its CSP_DEFAULTS over helmet's), written out whole so the header
 * is exactly what is read here (useDefaults off; nothing is merged in behind it) and a change shows in review.
 * Strapi itself widens script-src and connect-src on GET /admin in development (Vite's hot reload) and on the
 * GraphQL playground when it is enabled; other HTML gets the printable-page policy (html-policy middleware).
 */
export const PLATFORM_CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  // The admin's API calls, and Strapi's marketplace and update checks.
  'connect-src': ["'self'", 'https:'],
  'font-src': ["'self'", 'https:', 'data:'],
  'form-action': ["'self'"],
  // Nobody else may frame the admin (clickjacking); X-Frame-Options says the same for older browsers.
  'frame-ancestors': ["'self'"],
  // Uploaded media are previewed from data: and blob: URLs; marketplace logos come from Strapi's CDN.
  'img-src': ["'self'", 'data:', 'blob:', 'https://market-assets.strapi.io'],
  'media-src': ["'self'", 'data:', 'blob:'],
  'object-src': ["'none'"],
  // The production admin is bundled files only: no inline or third-party script.
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  // The admin's styled-components write <style> elements at run time.
  'style-src': ["'self'", 'https:', "'unsafe-inline'"],
};

export const securityConfig = {
  contentSecurityPolicy: { useDefaults: false, directives: PLATFORM_CSP_DIRECTIVES },
  xContentTypeOptions: true,
  frameguard: { action: 'sameorigin' },
  // URLs can carry tokens (invitations, application answers): they never leave in a Referer header.
  referrerPolicy: { policy: 'no-referrer' },
};
