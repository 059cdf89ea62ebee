'use strict';
// Strapi loads a local plug-in's server side from here; the code is built by tsup into dist/.
module.exports = require('./dist/index.js').default;
