import type { Core } from '@strapi/strapi';

/**
 * Every signed-in API request makes users-permissions read the user with its role and the role's
 * permissions: four queries before any resolver runs, on every dealer order. Both change rarely, so
 * they are remembered here: a user for USER_CACHE_MS, a role's permissions for PERMISSION_CACHE_MS.
 * Any change to users, roles, permissions or API tokens through this instance (admin panel, GraphQL,
 * services) forgets them at once, so a blocked user is refused on the next request; another instance
 * of the platform notices within those windows.
 */
const USER_CACHE_MS = 5_000;
const PERMISSION_CACHE_MS = 30_000;
const EVENTS = ['afterCreate', 'afterCreateMany', 'afterUpdate', 'afterUpdateMany', 'afterDelete', 'afterDeleteMany'] as const;

export function cacheAuthLookups(strapi: Core.Strapi): void {
  const plugin = strapi.plugin('users-permissions');
  const userService = plugin.service('user') as { fetchAuthenticatedUser: (id: unknown) => Promise<unknown> };
  const permissionService = plugin.service('permission') as { findRolePermissions: (roleId: unknown) => Promise<unknown> };
  const users = new Map<string, { until: number; value: Promise<unknown> }>();
  const permissions = new Map<string, { until: number; value: Promise<unknown> }>();

  const remembered = <T>(cache: Map<string, { until: number; value: Promise<unknown> }>, ttlMs: number, load: (key: unknown) => Promise<T>) =>
    (key: unknown): Promise<T> => {
      const id = String(key);
      const hit = cache.get(id);
      if (hit && hit.until > Date.now()) return hit.value as Promise<T>;
      const value = load(key);
      cache.set(id, { until: Date.now() + ttlMs, value });
      // A failed read is not remembered.
      value.catch(() => cache.delete(id));
      return value;
    };

  const fetchUser = userService.fetchAuthenticatedUser.bind(userService);
  const findPermissions = permissionService.findRolePermissions.bind(permissionService);
  userService.fetchAuthenticatedUser = remembered(users, USER_CACHE_MS, fetchUser);
  permissionService.findRolePermissions = remembered(permissions, PERMISSION_CACHE_MS, findPermissions);

  // The API-token strategy runs first and looks every bearer up by its hash. A portal user's bearer is a JWT,
  // never an API token, so that lookup always misses: misses are remembered; a found token is always read again.
  const tokens = strapi.service('admin::api-token-content-api') as { getByAccessKey: (hash: string, options?: unknown) => Promise<unknown> } | undefined;
  const misses = new Map<string, number>();
  if (tokens?.getByAccessKey) {
    const getByAccessKey = tokens.getByAccessKey.bind(tokens);
    tokens.getByAccessKey = async (hash: string, options?: unknown) => {
      if ((misses.get(hash) ?? 0) > Date.now()) return null;
      const token = await getByAccessKey(hash, options);
      if (token) misses.delete(hash);
      else {
        if (misses.size > 10_000) misses.clear();
        misses.set(hash, Date.now() + PERMISSION_CACHE_MS);
      }
      return token;
    };
  }

  const forgetAll = () => {
    users.clear();
    permissions.clear();
    misses.clear();
  };
  strapi.db.lifecycles.subscribe({
    models: ['plugin::users-permissions.user', 'plugin::users-permissions.role', 'plugin::users-permissions.permission', 'admin::api-token'],
    ...Object.fromEntries(EVENTS.map((event) => [event, forgetAll])),
  } as any);
}
