import type { Core } from '@strapi/strapi';
import { extendGraphql, mergeGraphql, platformRegistry, renameColumns } from '@channelflow/sdk';
import { ensureAdminUser } from './admin-user';
import { installOutbox, requeueStranded } from './notify/outbox-provider';
import { dispatcherOf, installOutboxEffects } from './outbox';
import { outboxEffectsGraphql } from './outbox/outbox.graphql';
import { createSealer } from './notify/sealed-body';
import { redactStoredSecretsOnce } from './notify/redact-stored';
import { smtpConfigured } from './notify/smtp';
import { printBanner } from './banner';
import { PLATFORM_PERMISSIONS, platformGraphql } from './graphql/platform.graphql';
import { templatesDir } from './paths';
import { runPluginMigrations } from './plugin-migrations';
import { refuseAdminLedgerWrites, showLedgersReadOnly } from './admin-panel/read-only';
import { closeSelfRegistrationOnce, ensureRoles, PLATFORM_STAFF_ROLES } from './roles';
import { runSeedOnce, runSeedProcesses } from './seed/run-seed';
import { createTemplateRenderer } from './templates/renderer';
import { chromiumPdfPrinter } from './printing/chromium-pdf';
import { startWorkflowRuntime, stopWorkflowRuntime } from './workflow';
import { operationsGraphql } from './workflow/operations.graphql';
import { tasksGraphql } from './workflow/tasks.graphql';
import { salesTeamsGraphql } from './graphql/sales-teams.graphql';
import { cacheAuthLookups } from './auth/auth-cache';
import { equalizeAuthTiming } from './auth/equal-timing';

export default {
  /** Runs after every plug-in registered: the registry is complete here. */
  register({ strapi }: { strapi: Core.Strapi }) {
    equalizeAuthTiming(strapi);
    const registry = platformRegistry(strapi);
    registry.addPlugin({
      name: 'platform',
      jobs: [],
      templates: ['platform/test-message'],
      permissions: PLATFORM_PERMISSIONS,
      roles: PLATFORM_STAFF_ROLES,
      // Strapi 5 reserves `status` (draft & publish): the admin panel showed it blank and refused to save.
      migrations: [renameColumns('001-outbox-status-renamed', [{ table: 'outbox_messages', from: 'status', to: 'delivery_status' }])],
      seedAfter: [],
    });
    registry.checkPermissionRoles();
    refuseAdminLedgerWrites(strapi);
    // Renamed columns before schema sync (which would drop them); the rest after it (the tables exist), before any plug-in's bootstrap (which may rely on the indexes).
    strapi.hook('strapi::content-types.beforeSync').register(() => runPluginMigrations(strapi, 'beforeSync'));
    strapi.hook('strapi::content-types.afterSync').register(() => runPluginMigrations(strapi, 'afterSync'));
    extendGraphql(strapi, 'platform', mergeGraphql(platformGraphql, salesTeamsGraphql, operationsGraphql, tasksGraphql, outboxEffectsGraphql), [
      'api::outbox-message.outbox-message',
      'api::region.region',
      'api::sales-team.sales-team',
      'api::brand.brand',
    ]);
    // The repository's templates/ (admin-editable) wins over the defaults a plug-in ships.
    const pluginDirs = registry
      .listPlugins()
      .map((p) => p.templatesDir)
      .filter((dir): dir is string => Boolean(dir));
    registry.setTemplateRenderer(createTemplateRenderer({ roots: [templatesDir(), ...pluginDirs], defaultLocale: 'zh-CN' }));
    registry.setPdfPrinter(chromiumPdfPrinter());
  },

  async bootstrap({ strapi }: { strapi: Core.Strapi }) {
    cacheAuthLookups(strapi);
    // Every e-mail goes through the outbox; SMTP (nodemailer) delivers it when configured.
    const email = strapi.plugin('email') as unknown as { provider: Parameters<typeof installOutbox>[1] };
    const encryptionKey = strapi.config.get<string | undefined>('admin.secrets.encryptionKey');
    if (!encryptionKey) strapi.log.warn('ENCRYPTION_KEY is not set: e-mails that carry a secret cannot be retried after a failed delivery');
    const outbox = installOutbox(strapi, smtpConfigured() ? email.provider : null, createSealer(encryptionKey));
    email.provider = outbox;
    // Process starts, messages, e-mails and domain events, delivered after their transaction commits.
    const dispatcher = await installOutboxEffects(strapi, (id) => outbox.deliverStored(id));
    await requeueStranded(strapi);
    await redactStoredSecretsOnce(strapi);
    await ensureRoles(strapi);
    await showLedgersReadOnly(strapi);
    await closeSelfRegistrationOnce(strapi);
    const admin = await ensureAdminUser(strapi);
    const seed = await runSeedOnce(strapi);
    await startWorkflowRuntime(strapi);
    dispatcher.start();
    await runSeedProcesses(strapi, seed);
    if (seed.ran) strapi.log.info(`demo data loaded (core, ${seed.plugins.join(', ')})`);
    if (process.env.CHANNELFLOW_QUIET !== 'true') {
      strapi.server.httpServer.once('listening', () => void printBanner(strapi, admin, seed));
    }
  },

  async destroy({ strapi }: { strapi: Core.Strapi }) {
    if (strapi.has('channelflow.outbox-dispatcher')) dispatcherOf(strapi).stop();
    await stopWorkflowRuntime(strapi);
    await (platformRegistry(strapi).pdfPrinter() as ReturnType<typeof chromiumPdfPrinter>).close();
  },
};
