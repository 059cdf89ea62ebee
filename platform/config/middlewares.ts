import { securityConfig } from '../src/security/headers';

export default ({ env }: { env: any }) => [
  'strapi::logger',
  // Outside strapi::errors, which writes the 404 body this one completes.
  'global::route-not-found',
  'strapi::errors',
  // After strapi::errors so it sees failures first: errors on /graphql keep the GraphQL shape.
  'global::graphql-http-errors',
  // Content-Security-Policy (frame-ancestors), nosniff and Referrer-Policy on every response; see src/security/headers.ts.
  { name: 'strapi::security', config: securityConfig },
  // Inside strapi::security, which sets its headers before the response exists: HTML outside the admin gets no scripts.
  'global::html-policy',
  'strapi::cors',
  'strapi::poweredBy',
  'strapi::query',
  // An upload is written to disk before any route sees it: cap it here (Strapi's default is 200 MB).
  // includeUnparsed keeps the raw body beside the parsed one: webhook signatures are computed over the bytes sent.
  { name: 'strapi::body', config: { includeUnparsed: true, formidable: { maxFileSize: env.int('UPLOAD_MAX_BYTES', 25 * 1024 * 1024) } } },
  // Camunda's REST API (/v2/...) over the embedded engine; needs the parsed body, not the session.
  'global::zeebe-rest',
  // The development GraphQL explorer's own files (GraphiQL without a CDN); nothing in production.
  'global::graphql-explorer',
  'strapi::session',
  'strapi::favicon',
  'strapi::public',
];
