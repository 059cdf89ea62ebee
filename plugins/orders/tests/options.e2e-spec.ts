import { describe, expect, it } from 'vitest';
import { createTestEnvironment } from '@channelflow/sdk/testing';

describe('orders plug-in: settings from ORDERS_* variables', () => {
  it('a bad ORDERS_ALLOCATION_RULE stops the start, naming the variable', async () => {
    await expect(createTestEnvironment({ env: { ORDERS_ALLOCATION_RULE: 'nearest' } })).rejects.toThrow(/ORDERS_ALLOCATION_RULE/);
  });
});
