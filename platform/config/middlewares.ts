export default [
  'strapi::logger',
  // Outside strapi::errors, which writes the 404 body this one completes.
  'global::route-not-found',
  'strapi::errors',
  // After strapi::errors so it sees failures first: errors on /graphql keep the GraphQL shape.
  'global::graphql-http-errors',
  'strapi::security',
  'strapi::cors',
  'strapi::poweredBy',
  'strapi::query',
  'strapi::body',
  'strapi::session',
  'strapi::favicon',
  'strapi::public',
];
