// Compiles the Strapi app's TypeScript (config + src) into dist/ without building the admin panel.
const path = require('node:path');
const { compileStrapi } = require('@strapi/strapi');

compileStrapi({ appDir: path.resolve(__dirname, '..') })
  .then(({ distDir }) => console.log(`compiled platform into ${path.relative(process.cwd(), distDir) || distDir}`))
  .catch((error) => {
    console.error(error.message ?? error);
    process.exit(1);
  });
