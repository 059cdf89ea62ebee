import { Camunda8 } from '@camunda8/sdk';

export type ZeebeClient = ReturnType<Camunda8['getZeebeGrpcApiClient']>;

/**
 * The one client path: the platform deploys, starts and works jobs through the official Zeebe
 * client in both modes. Embedded mode points it at our gateway (plaintext, no auth); Zeebe mode
 * leaves configuration to the SDK's standard ZEEBE_* / CAMUNDA_* environment, TLS and OAuth included.
 */
export function createZeebeClient(embeddedAddress: string | null): ZeebeClient {
  if (embeddedAddress) {
    return new Camunda8({
      ZEEBE_GRPC_ADDRESS: embeddedAddress,
      CAMUNDA_AUTH_STRATEGY: 'NONE',
      zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: 'NONE' },
    } as any).getZeebeGrpcApiClient();
  }
  if (!process.env.ZEEBE_GRPC_ADDRESS && !process.env.ZEEBE_ADDRESS) {
    throw new Error('WORKFLOW_ENGINE=zeebe needs ZEEBE_GRPC_ADDRESS (e.g. grpc://zeebe:26500, grpcs:// for TLS) or ZEEBE_ADDRESS');
  }
  // The SDK snapshots the environment when first imported; read the address now.
  const address = process.env.ZEEBE_GRPC_ADDRESS;
  return new Camunda8(address ? ({ ZEEBE_GRPC_ADDRESS: address } as any) : {}).getZeebeGrpcApiClient();
}
