import fs from 'node:fs';
import path from 'node:path';

/*
 * The development GraphQL explorer: GraphiQL, served with React from this platform's own files,
 * so it works without reaching anyone's CDN (Apollo's landing page loads from Apollo's servers and
 * shows "you might be offline" without them). Production has no explorer and no introspection.
 * No inline script: the page runs under the platform's Content-Security-Policy (script-src 'self').
 */

export const EXPLORER_ASSETS_PATH = '/graphql/explorer';

/** The files the page loads, by the name it asks for. */
const VENDOR_FILES: Record<string, { pkg: string; file: string; type: string }> = {
  'react.production.min.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'application/javascript; charset=utf-8' },
  'react-dom.production.min.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'application/javascript; charset=utf-8' },
  'graphiql.min.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'application/javascript; charset=utf-8' },
  'graphiql.min.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css; charset=utf-8' },
};

const DEFAULT_QUERY = `# Channelflow GraphQL explorer (development only; the schema is also in schema.graphql).
#
# Sign in with a demo login (password: DEMO_PASSWORD in platform/.env), then open Headers
# below and send {"Authorization": "Bearer <the jwt>"}; an API token works the same way.

mutation SignIn {
  login(input: { identifier: "owner@d0002.dealer.demo", password: "<DEMO_PASSWORD>" }) { jwt }
}

query MyDealer {
  myDealer { myRole dealer { code name tier } }
}
`;

function startScript(endpoint: string): string {
  return `"use strict";
(function () {
  var fetcher = GraphiQL.createFetcher({ url: ${JSON.stringify(endpoint)} });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)}, defaultEditorToolsVisibility: true }));
})();
`;
}

/** The explorer page: GraphiQL's stylesheet and scripts, all from EXPLORER_ASSETS_PATH. */
export function explorerHtml(): string {
  const asset = (name: string) => `${EXPLORER_ASSETS_PATH}/${name}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Channelflow GraphQL explorer</title>
<link rel="stylesheet" href="${asset('graphiql.min.css')}">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading the GraphQL explorer…</div>
<script src="${asset('react.production.min.js')}"></script>
<script src="${asset('react-dom.production.min.js')}"></script>
<script src="${asset('graphiql.min.js')}"></script>
<script src="${asset('start.js')}"></script>
</body>
</html>
`;
}

/** The Apollo Server plug-in that answers a browser's GET of the endpoint with the explorer (Strapi's `landingPage` option). */
export function explorerLandingPage() {
  return {
    async serverWillStart() {
      return { async renderLandingPage() { return { html: explorerHtml() }; } };
    },
  };
}

/** One explorer file by the name the page asks for, or null for any other name. */
export function explorerAsset(name: string, endpoint: string): { body: string | Buffer; type: string } | null {
  if (name === 'start.js') return { body: startScript(endpoint), type: 'application/javascript; charset=utf-8' };
  const file = Object.hasOwn(VENDOR_FILES, name) ? VENDOR_FILES[name]! : null;
  if (!file) return null;
  // The packages' exports do not list these built files: read them beside the package.json.
  return { body: fs.readFileSync(path.join(path.dirname(require.resolve(`${file.pkg}/package.json`)), file.file)), type: file.type };
}
