import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, PlatformRegistry, toElementTemplate, type PluginManifest } from '../src';

const checkDuplicates = defineJob({
  type: 'dealers.check-duplicates',
  title: 'Dealers: check duplicates',
  description: 'Refuses an application whose tax id is already known',
  input: z.object({ taxId: z.string().min(5), applicationId: z.string(), note: z.string().optional() }),
  output: z.object({ duplicate: z.boolean(), matchedDealerCode: z.string().nullable() }),
  handler: async ({ input, job }) => ({
    duplicate: input.taxId === '91310000MA1FL0000X',
    matchedDealerCode: input.taxId === '91310000MA1FL0000X' ? `D-${job.key}` : null,
  }),
});

const manifest = (overrides: Partial<PluginManifest> = {}): PluginManifest => ({
  name: 'dealers',
  jobs: [checkDuplicates],
  templates: [],
  permissions: { 'dealers.read': ['sales-rep'] },
  seedAfter: [],
  ...overrides,
});

const ctx = { strapi: {} as any, job: { key: '2251799813685249', customHeaders: {} }, log: console };

describe('defineJob', () => {
  it.each([
    ['dealers.check-duplicates', true],
    ['credit.reserve-credit', true],
    ['Dealers.check-duplicates', false],
    ['dealers.check', false],
    ['dealers_check-duplicates', false],
    ['check-duplicates', false],
  ])('job type %s is accepted: %s', (type, ok) => {
    const define = () => defineJob({ ...checkDuplicates, type });
    if (ok) expect(define).not.toThrow();
    else expect(define).toThrow(/<domain>\.<verb>-<noun>/);
  });

  it('requires object schemas so fields map to process variables', () => {
    expect(() => defineJob({ ...checkDuplicates, input: z.string() as any })).toThrow(/input must be a z.object/);
  });

  it('defaults retries to 3 and refuses negative ones', () => {
    expect(checkDuplicates.retries).toBe(3);
    expect(() => defineJob({ ...checkDuplicates, retries: -1 })).toThrow(/retries/);
  });
});

describe('PlatformRegistry.runJob', () => {
  const registry = new PlatformRegistry();
  registry.addPlugin(manifest());

  it('validates variables, runs the handler with the job key, validates its result', async () => {
    const out = await registry.runJob('dealers.check-duplicates', { taxId: '91310000MA1FL0000X', applicationId: 'A1', extra: 1 }, ctx);
    expect(out).toEqual({ duplicate: true, matchedDealerCode: 'D-2251799813685249' });
  });

  it('refuses variables that do not match the input schema, naming the field', async () => {
    await expect(registry.runJob('dealers.check-duplicates', { taxId: '1', applicationId: 'A1' }, ctx)).rejects.toMatchObject({
      code: 'JOB_INPUT_INVALID',
      message: expect.stringContaining('taxId'),
    });
  });

  it('refuses a handler result that breaks the output schema', async () => {
    const broken = defineJob({ ...checkDuplicates, type: 'other.check-things', handler: async () => ({ duplicate: 'yes' }) as any });
    const r = new PlatformRegistry();
    r.addPlugin(manifest({ name: 'other', jobs: [broken], permissions: {} }));
    await expect(r.runJob('other.check-things', { taxId: '123456', applicationId: 'A' }, ctx)).rejects.toMatchObject({
      code: 'JOB_OUTPUT_INVALID',
    });
  });

  it('answers NOT_FOUND for a job type no plug-in provides', async () => {
    await expect(registry.runJob('dealers.no-such-job', {}, ctx)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('PlatformRegistry.addPlugin', () => {
  it('refuses a job type outside the plug-in namespace', () => {
    const r = new PlatformRegistry();
    expect(() => r.addPlugin(manifest({ name: 'orders', permissions: {} }))).toThrow(/must start with "orders\."/);
  });

  it('refuses a plug-in registered twice', () => {
    const r = new PlatformRegistry();
    r.addPlugin(manifest());
    expect(() => r.addPlugin(manifest())).toThrow(/registered twice/);
  });

  it('refuses a job type defined twice by one plug-in', () => {
    const r = new PlatformRegistry();
    expect(() => r.addPlugin(manifest({ jobs: [checkDuplicates, checkDuplicates] }))).toThrow(/defines job type "dealers.check-duplicates" twice/);
  });

  const platform = (overrides: Partial<PluginManifest> = {}): PluginManifest => ({
    name: 'platform',
    jobs: [],
    templates: [],
    permissions: {},
    seedAfter: [],
    roles: [{ type: 'sales-rep', name: 'Sales rep' }],
    ...overrides,
  });

  it('refuses, once every plug-in registered, permissions granted to undeclared roles', () => {
    const r = new PlatformRegistry();
    r.addPlugin(manifest({ permissions: { 'dealers.read': ['sales-rep', 'janitor'] } }));
    r.addPlugin(platform());
    expect(() => r.checkPermissionRoles()).toThrow(/permission "dealers.read" of plug-in "dealers" names undeclared staff roles: janitor \(declared: sales-rep\)/);
  });

  it('grants to a role a later plug-in declares', () => {
    const r = new PlatformRegistry();
    r.addPlugin(manifest({ permissions: { 'dealers.read': ['trainer'] } }));
    r.addPlugin(platform({ name: 'training', roles: [{ type: 'trainer', name: 'Trainer' }] }));
    r.checkPermissionRoles();
    expect(r.roleHasPermission('trainer', 'dealers.read')).toBe(true);
    expect(r.isStaffRole('trainer')).toBe(true);
    expect(r.isStaffRole('sales-rep')).toBe(false);
  });

  it.each([
    ['a role declared twice', [platform(), platform({ name: 'training' })], /staff role "sales-rep" is declared by both "platform" and "training"/],
    ['the portal role as a staff role', [platform({ roles: [{ type: 'dealer', name: 'Dealer' }] })], /may not declare "dealer" as a staff role/],
    ['a role type that is not kebab-case', [platform({ roles: [{ type: 'Trainer', name: 'Trainer' }] })], /must be kebab-case/],
    ['a migration name used twice', [platform({ migrations: [{ name: '001-a', up: async () => 1 }, { name: '001-a', up: async () => 2 }] })], /defines migration "001-a" twice/],
    ['two tenant providers', [platform({ tenant: {} as any }), platform({ name: 'other', roles: [], tenant: {} as any })], /"platform" and "other" both provide the tenant; exactly one may/],
  ])('refuses %s', (_what, manifests, error) => {
    const r = new PlatformRegistry();
    expect(() => manifests.forEach((m) => r.addPlugin(m))).toThrow(error);
  });

  it('says clearly that no plug-in provides the tenant', () => {
    expect(() => new PlatformRegistry().tenant()).toThrow(/No plug-in provides the dealer tenant/);
  });

  it.each([
    ['platform-admin', true],
    ['sales-rep', true],
    ['finance', false],
    ['dealer', false],
  ])('role %s holds dealers.read: %s', (role, expected) => {
    const r = new PlatformRegistry();
    r.addPlugin(manifest());
    expect(r.roleHasPermission(role, 'dealers.read')).toBe(expected);
  });

  it('treats an undeclared permission as a programming error', () => {
    const r = new PlatformRegistry();
    expect(() => r.roleHasPermission('platform-admin', 'dealers.write')).toThrow(/not declared/);
  });
});

describe('toElementTemplate', () => {
  const template = toElementTemplate(checkDuplicates);

  it('binds the job type and retries for the modeller palette', () => {
    expect(template).toMatchObject({ id: 'channelflow.dealers.check-duplicates', name: 'Dealers: check duplicates', appliesTo: ['bpmn:Task'] });
    expect(template.properties).toContainEqual(
      expect.objectContaining({ type: 'Hidden', value: 'dealers.check-duplicates', binding: { type: 'zeebe:taskDefinition', property: 'type' } }),
    );
    expect(template.properties).toContainEqual(expect.objectContaining({ value: '3', binding: { type: 'zeebe:taskDefinition', property: 'retries' } }));
  });

  it('offers each input as a FEEL input mapping, required ones marked', () => {
    const inputs = template.properties.filter((p: any) => p.binding.type === 'zeebe:input');
    expect(inputs.map((p: any) => [p.binding.name, p.optional])).toEqual([
      ['taxId', false],
      ['applicationId', false],
      ['note', true],
    ]);
  });

  it('offers each output as an output mapping', () => {
    const outputs = template.properties.filter((p: any) => p.binding.type === 'zeebe:output');
    expect(outputs.map((p: any) => p.binding.source)).toEqual(['=duplicate', '=matchedDealerCode']);
  });
});
