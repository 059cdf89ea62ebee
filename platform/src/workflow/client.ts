import { Camunda8 } from '@camunda8/sdk';
import { ChannelflowError } from '@channelflow/sdk';

export type ZeebeClient = ReturnType<Camunda8['getZeebeGrpcApiClient']>;

/**
 * The one client path: the platform deploys, starts and works jobs through the official Zeebe
 * client in both modes. Embedded mode points it at our gateway with its bearer token; Zeebe mode
 * leaves configuration to the SDK's standard ZEEBE_* / CAMUNDA_* environment, TLS and OAuth included.
 */
export function createZeebeClient(embedded: { address: string; token: string } | null): ZeebeClient {
  if (embedded) {
    return new Camunda8({
      ZEEBE_GRPC_ADDRESS: embedded.address,
      // The SDK's static-token strategy: `authorization: Bearer <CAMUNDA_OAUTH_TOKEN>` on every call.
      CAMUNDA_AUTH_STRATEGY: 'BEARER',
      CAMUNDA_OAUTH_TOKEN: embedded.token,
      zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: 'NONE' },
    } as any).getZeebeGrpcApiClient();
  }
  if (!process.env.ZEEBE_GRPC_ADDRESS && !process.env.ZEEBE_ADDRESS) {
    throw new Error('WORKFLOW_ENGINE=zeebe needs ZEEBE_GRPC_ADDRESS (e.g. grpc://zeebe:26500, grpcs:// for TLS) or ZEEBE_ADDRESS');
  }
  // The SDK snapshots the environment when first imported; read the address and credentials now.
  const now = Object.fromEntries(CALL_TIME_SETTINGS.filter((name) => process.env[name]).map((name) => [name, process.env[name]]));
  return new Camunda8(now as any).getZeebeGrpcApiClient();
}

/** String settings that may be set after the SDK was first imported (e.g. by a test environment). */
const CALL_TIME_SETTINGS = [
  'ZEEBE_GRPC_ADDRESS',
  'CAMUNDA_AUTH_STRATEGY',
  'CAMUNDA_OAUTH_TOKEN',
  'CAMUNDA_OAUTH_URL',
  'ZEEBE_CLIENT_ID',
  'ZEEBE_CLIENT_SECRET',
  'ZEEBE_TOKEN_AUDIENCE',
  'CAMUNDA_CUSTOM_ROOT_CERT_PATH',
];

/** gRPC status codes a Zeebe gateway answers with, mapped onto the platform's error codes. */
const GRPC_CODES: Record<number, string> = {
  3: 'BAD_INPUT', // INVALID_ARGUMENT
  5: 'NOT_FOUND',
  6: 'CONFLICT', // ALREADY_EXISTS
  9: 'CONFLICT', // FAILED_PRECONDITION
  14: 'WORKFLOW_UNAVAILABLE', // UNAVAILABLE
  4: 'WORKFLOW_UNAVAILABLE', // DEADLINE_EXCEEDED
  8: 'WORKFLOW_UNAVAILABLE', // RESOURCE_EXHAUSTED
};

/**
 * A Zeebe client refusal as a ChannelflowError carrying the engine's own message (Zeebe's
 * messages name the key and the reason, e.g. "Expected to cancel a process instance with key
 * '1', but no such process was found"). Anything else is rethrown as is.
 */
export function fromZeebeError(error: unknown): unknown {
  const grpc = error as { code?: unknown; details?: unknown; message?: unknown };
  const code = typeof grpc?.code === 'number' ? GRPC_CODES[grpc.code] : undefined;
  if (!code) return error;
  const detail = typeof grpc.details === 'string' && grpc.details ? grpc.details : String(grpc.message ?? '');
  return new ChannelflowError(code, detail.replace(/^\d+ [A-Z_]+: /, ''));
}
