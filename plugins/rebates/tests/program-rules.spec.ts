import { describe, expect, it } from 'vitest';
import { eligibilitySchema, isEligible, lineCounts, periodOf, quartersOf, qualifyingSchema, versionFor, yearBefore, type ProgramCalendar } from '../src/services/program-rules';

describe('periods', () => {
  const since2025 = (kind: ProgramCalendar['kind']): ProgramCalendar => ({ kind, startsOn: '2025-01-01', endsOn: null });
  it.each([
    ['month', '2026-02-28', { key: '2026-02', from: '2026-02-01', to: '2026-02-28' }],
    ['month', '2028-02-29', { key: '2028-02', from: '2028-02-01', to: '2028-02-29' }], // leap year
    ['quarter', '2026-03-31', { key: '2026-Q1', from: '2026-01-01', to: '2026-03-31' }],
    ['quarter', '2026-04-01', { key: '2026-Q2', from: '2026-04-01', to: '2026-06-30' }],
    ['quarter', '2026-12-31', { key: '2026-Q4', from: '2026-10-01', to: '2026-12-31' }],
    ['year', '2026-07-15', { key: '2026', from: '2026-01-01', to: '2026-12-31' }],
  ] as const)('a %s program puts %s in %o', (kind, day, period) => {
    expect(periodOf(since2025(kind), day)).toEqual(period);
  });

  it('a day outside the program belongs to no period; a program over dates is one period', () => {
    expect(periodOf({ kind: 'quarter', startsOn: '2026-01-01', endsOn: '2026-06-30' }, '2025-12-31')).toBeNull();
    expect(periodOf({ kind: 'quarter', startsOn: '2026-01-01', endsOn: '2026-06-30' }, '2026-07-01')).toBeNull();
    expect(periodOf({ kind: 'dates', startsOn: '2026-01-15', endsOn: '2026-02-14' }, '2026-02-14')).toEqual({ key: '2026-01-15..2026-02-14', from: '2026-01-15', to: '2026-02-14' });
  });

  it.each([
    [{ key: '2026-Q1', from: '2026-01-01', to: '2026-03-31' }, { key: '2025-Q1', from: '2025-01-01', to: '2025-03-31' }],
    [{ key: '2028-02', from: '2028-02-01', to: '2028-02-29' }, { key: '2027-02', from: '2027-02-01', to: '2027-02-28' }],
    [{ key: '2026', from: '2026-01-01', to: '2026-12-31' }, { key: '2025', from: '2025-01-01', to: '2025-12-31' }],
    [{ key: '2026-01-15..2026-02-14', from: '2026-01-15', to: '2026-02-14' }, { key: '2025-01-15..2025-02-14', from: '2025-01-15', to: '2025-02-14' }],
  ])('growth compares %o with %o', (period, before) => {
    expect(yearBefore(period)).toEqual(before);
  });

  it('an annual program advances by quarter', () => {
    expect(quartersOf(2026).map((q) => `${q.key} ${q.from}..${q.to}`)).toEqual(['2026-Q1 2026-01-01..2026-03-31', '2026-Q2 2026-04-01..2026-06-30', '2026-Q3 2026-07-01..2026-09-30', '2026-Q4 2026-10-01..2026-12-31']);
  });
});

describe('eligibility', () => {
  const gold = { code: 'D-001', tier: 'gold', regionCode: 'east', dealerType: 'distributor' };
  const silverWest = { code: 'D-002', tier: 'silver', regionCode: 'west', dealerType: 'retailer' };
  const rules = (over: object) => eligibilitySchema.parse(over);
  it.each([
    ['no rules: everyone', {}, gold, true],
    ['gold and silver tiers', { tiers: ['gold', 'silver'] }, silverWest, true],
    ['gold only', { tiers: ['gold'] }, silverWest, false],
    ['gold in the east', { tiers: ['gold'], regions: ['east'] }, gold, true],
    ['gold in the west', { tiers: ['gold'], regions: ['west'] }, gold, false],
    ['distributors', { dealerTypes: ['distributor'] }, silverWest, false],
    ['named dealer outside the rules', { tiers: ['gold'], dealers: ['D-002'] }, silverWest, true],
    ['only named dealers', { dealers: ['D-002'] }, gold, false],
    ['excluded though gold', { tiers: ['gold'], excluded: ['D-001'] }, gold, false],
    ['excluded though named', { dealers: ['D-001'], excluded: ['D-001'] }, gold, false],
    ['a rule on a dealer without a region', { regions: ['east'] }, { ...gold, regionCode: null }, false],
  ])('%s', (_what, over, dealer, expected) => {
    expect(isEligible(rules(over), dealer)).toBe(expected);
  });
});

describe('which invoice lines count', () => {
  const line = { sku: 'AU-0101', category: 'filters', brand: 'Aurora' };
  it.each([
    ['everything by default', {}, true],
    ['its category included', { include: { categories: ['filters'] } }, true],
    ['another category only', { include: { categories: ['pumps'] } }, false],
    ['its brand included', { include: { brands: ['Aurora'] } }, true],
    ['its SKU among others', { include: { skus: ['AU-0102', 'AU-0101'] } }, true],
    ['its brand included but its SKU excluded', { include: { brands: ['Aurora'] }, exclude: { skus: ['AU-0101'] } }, false],
    ['everything but its category', { exclude: { categories: ['filters'] } }, false],
  ])('%s', (_what, over, expected) => {
    expect(lineCounts(qualifyingSchema.parse(over), line)).toBe(expected);
  });

  it('a line without category or brand counts only where nothing narrows by them', () => {
    const bare = { sku: 'X-1', category: null, brand: null };
    expect(lineCounts(qualifyingSchema.parse({ include: { categories: ['filters'] } }), bare)).toBe(false);
    expect(lineCounts(qualifyingSchema.parse({ exclude: { categories: ['filters'] } }), bare)).toBe(true);
  });
});

describe('versions', () => {
  const versions = [
    { version: 1, effectiveFrom: '2026-01-01' },
    { version: 2, effectiveFrom: '2026-05-01' },
    { version: 3, effectiveFrom: '2026-07-01' },
  ];
  it.each([
    [{ key: '2025-Q4', from: '2025-10-01', to: '2025-12-31' }, null],
    [{ key: '2026-Q1', from: '2026-01-01', to: '2026-03-31' }, 1],
    [{ key: '2026-Q2', from: '2026-04-01', to: '2026-06-30' }, 1], // a change in May leaves the quarter under way alone
    [{ key: '2026-Q3', from: '2026-07-01', to: '2026-09-30' }, 3],
  ])('%o is governed by version %s', (period, version) => {
    expect(versionFor(versions, period)?.version ?? null).toBe(version);
  });
});
