// The admin panel speaks as Channelflow (and the brand, STRAPI_ADMIN_BRAND_NAME, when set at build time), not as Strapi.
import favicon from './extensions/favicon.png';

const product = 'Channelflow';
const brand = process.env.STRAPI_ADMIN_BRAND_NAME?.trim();
const title = brand ? `${brand} · ${product}` : product;

export default {
  config: {
    auth: { logo: favicon },
    menu: { logo: favicon },
    head: { favicon, title },
    tutorials: false,
    notifications: { releases: false },
    translations: {
      en: {
        'Auth.form.welcome.title': `Welcome to ${title}`,
        'Auth.form.welcome.subtitle': `Log in to the ${product} admin panel`,
        'app.components.LeftMenu.navbrand.title': title,
        'app.components.LeftMenu.navbrand.workplace': 'Admin panel',
      },
    },
  },
  bootstrap() {},
};
