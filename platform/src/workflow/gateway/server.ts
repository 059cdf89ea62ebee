import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { Knex } from 'knex';
import { DEFAULT_TENANT, DeploymentRejected, deployResources, type DeployedProcess } from '../engine/deployments';

export interface GatewayLogger {
  info(message: string): void;
  error(message: string): void;
}

export interface RunningGateway {
  host: string;
  port: number;
  /** grpc://host:port, what a Zeebe client (ZEEBE_GRPC_ADDRESS) connects to. */
  address: string;
  stop(): Promise<void>;
}

// The exact proto the official client speaks, loaded with the options that client uses.
const PROTO = require.resolve('@camunda8/sdk/dist/proto/zeebe.proto');
const GATEWAY_VERSION = '8.8.0';

type Unary = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => void;

/**
 * The Zeebe gateway gRPC API over the embedded engine. RPCs not implemented yet answer
 * UNIMPLEMENTED, as a Zeebe gateway does for unknown calls.
 */
export async function startGateway(options: { knex: Knex; host: string; port: number; log: GatewayLogger }): Promise<RunningGateway> {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const service = (grpc.loadPackageDefinition(definition) as any).gateway_protocol.Gateway.service;
  const server = new grpc.Server({ 'grpc.keepalive_permit_without_calls': 1 });
  let boundPort = options.port;

  const handle =
    (work: (request: any) => Promise<unknown>): Unary =>
    (call, callback) => {
      work(call.request).then(
        (response) => callback(null, response),
        (error) => callback(toGrpcError(error, options.log)),
      );
    };

  server.addService(service, {
    Topology: handle(async () => ({
      brokers: [
        {
          nodeId: 0,
          host: options.host,
          port: boundPort,
          version: GATEWAY_VERSION,
          partitions: [{ partitionId: 1, role: 'LEADER', health: 'HEALTHY' }],
        },
      ],
      clusterSize: 1,
      partitionsCount: 1,
      replicationFactor: 1,
      gatewayVersion: GATEWAY_VERSION,
    })),
    DeployResource: handle(async (request: { resources: Array<{ name: string; content: Buffer }>; tenantId?: string }) => {
      // Clients such as zbctl send an empty tenant id for the default tenant.
      const tenantId = request.tenantId || DEFAULT_TENANT;
      const result = await deployResources(options.knex, request.resources ?? [], tenantId);
      return {
        key: String(result.key),
        tenantId,
        deployments: result.processes.map((p) => ({ process: processMetadata(p) })),
      };
    }),
    // Deprecated since Zeebe 8, but plain `zbctl deploy file.bpmn` still calls it.
    DeployProcess: handle(async (request: { processes: Array<{ name: string; definition: Buffer }> }) => {
      const resources = (request.processes ?? []).map((p) => ({ name: p.name, content: p.definition }));
      const result = await deployResources(options.knex, resources, DEFAULT_TENANT);
      return { key: String(result.key), processes: result.processes.map(processMetadata) };
    }),
  });

  boundPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(new Error(`the Zeebe gateway cannot listen on ${options.host}:${options.port}: ${error.message}`)) : resolve(port),
    ),
  );
  options.log.info(`Zeebe gateway listening on ${options.host}:${boundPort}`);
  return {
    host: options.host,
    port: boundPort,
    address: `grpc://${options.host}:${boundPort}`,
    stop: () =>
      new Promise<void>((resolve) => {
        // Give in-flight calls (long-polling job activation later) a moment, then cut them.
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

function processMetadata(p: DeployedProcess) {
  return {
    bpmnProcessId: p.bpmnProcessId,
    version: p.version,
    processDefinitionKey: String(p.processDefinitionKey),
    resourceName: p.resourceName,
    tenantId: p.tenantId,
  };
}

function toGrpcError(error: unknown, log: GatewayLogger): Partial<grpc.StatusObject> {
  if (error instanceof DeploymentRejected) return { code: grpc.status.INVALID_ARGUMENT, details: error.message };
  log.error(`gateway call failed: ${(error as Error)?.stack ?? String(error)}`);
  return { code: grpc.status.INTERNAL, details: 'Unexpected error in the embedded engine; it has been logged' };
}
