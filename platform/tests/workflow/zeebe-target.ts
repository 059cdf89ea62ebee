import { Camunda8 } from '@camunda8/sdk';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

export type ZeebeClient = ReturnType<Camunda8['getZeebeGrpcApiClient']>;

/**
 * The conformance suite talks only to a Zeebe client. With ZEEBE_ADDRESS set it runs against
 * that (real) Zeebe; otherwise against the embedded gateway of a freshly booted platform.
 */
export async function zeebeTarget(): Promise<{ client: ZeebeClient; env: TestEnvironment | null; close(): Promise<void> }> {
  const external = process.env.ZEEBE_ADDRESS;
  const env = external ? null : await createTestEnvironment();
  const address = external ? (external.includes('://') ? external : `grpc://${external}`) : env!.zeebeAddress;
  const client = clientFor(address);
  return {
    client,
    env,
    async close() {
      await client.close();
      await env?.destroy();
    },
  };
}

/** A plain Zeebe client for `address` (grpc://host:port), failing fast instead of retrying. */
export function clientFor(address: string): ZeebeClient {
  return new Camunda8({
    ZEEBE_GRPC_ADDRESS: address,
    CAMUNDA_AUTH_STRATEGY: (process.env.CAMUNDA_AUTH_STRATEGY as any) ?? 'NONE',
    zeebeGrpcSettings: { ZEEBE_GRPC_CLIENT_RETRY: false, ZEEBE_CLIENT_LOG_LEVEL: 'NONE' },
  } as any).getZeebeGrpcApiClient();
}

/** A unique process id per test, so runs against a shared real Zeebe never collide. */
export const uniqueId = (base: string) => `${base}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export const bpmn = (processId: string, body: string, extraNamespaces = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" ${extraNamespaces}
  id="Definitions_${processId}" targetNamespace="http://channelflow.dev/bpmn">
  <bpmn:process id="${processId}" isExecutable="true">
${body}
  </bpmn:process>
</bpmn:definitions>`;

/** start → service task (job type) → end */
export const oneTaskProcess = (processId: string, jobType = 'demo.do-work', label = 'Do work') =>
  bpmn(
    processId,
    `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    <bpmn:serviceTask id="Task_Work" name="${label}">
      <bpmn:extensionElements><zeebe:taskDefinition type="${jobType}" retries="3" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
  );
