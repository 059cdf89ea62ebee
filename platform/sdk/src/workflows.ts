import type { Core } from '@strapi/strapi';
import { platformRegistry } from './registry';

export interface StartProcessInput {
  bpmnProcessId: string;
  /** The latest deployed version unless given. */
  version?: number;
  variables: Record<string, unknown>;
  /** Stored as the `businessKey` variable; staff find the instance by it. */
  businessKey?: string;
}

export interface PublishMessageInput {
  name: string;
  correlationKey: string;
  variables?: Record<string, unknown>;
  timeToLiveMs?: number;
  messageId?: string;
}

/** What plug-ins may ask of the workflow engine (embedded or Zeebe), through the platform's one client. */
export interface Workflows {
  startProcess(input: StartProcessInput): Promise<{ processInstanceKey: string; bpmnProcessId: string; version: number; processDefinitionKey: string }>;
  publishMessage(input: PublishMessageInput): Promise<{ key: string }>;
}

/** Refusals arrive as ChannelflowErrors (NOT_FOUND for an undeployed process, WORKFLOW_UNAVAILABLE, ...). */
export function workflows(strapi: Core.Strapi): Workflows {
  const processes = platformRegistry(strapi).processes();
  if (!processes) throw new Error('the workflow runtime has not started yet (workflows() is for requests and jobs, not for seeds)');
  return processes;
}
