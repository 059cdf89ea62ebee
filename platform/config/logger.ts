// Strapi merges this over its default console logger; tests set LOG_LEVEL=error to keep output readable.
export default { level: process.env.LOG_LEVEL || 'http' };
