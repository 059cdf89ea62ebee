import fs from 'node:fs';
import path from 'node:path';
import type { Core } from '@strapi/strapi';
import { platformRegistry, type Workflows } from '@channelflow/sdk';
import { repoRoot } from '../paths';
import { createZeebeClient, fromZeebeError, type ZeebeClient } from './client';
import { Engine } from './engine/engine';
import { gatewayCredentials, type GatewayCredentials } from './gateway/credentials';
import { gatewayListenOptions } from './gateway/listen-options';
import { startGateway, type RunningGateway } from './gateway/server';
import { TaskInbox } from './tasks';
import { createZeebeRestClient, embeddedTaskSource, restTaskSource } from './user-task-source';
import { startJobWorkers, type RunningWorkers } from './workers';

export type WorkflowEngineMode = 'embedded' | 'zeebe';

// Per Strapi instance, in its container: two instances in one process never share a runtime.
const RUNTIME = 'channelflow.workflow-runtime';

/** The running workflow runtime of this Strapi (after bootstrap). */
export function workflowRuntime(strapi: Core.Strapi): WorkflowRuntime {
  if (!strapi.has(RUNTIME)) throw new Error('the workflow runtime has not started yet');
  return strapi.get(RUNTIME) as WorkflowRuntime;
}

/** Whether this Strapi's workflow runtime has started (requests can arrive before bootstrap ends). */
export function hasWorkflowRuntime(strapi: Core.Strapi): boolean {
  return strapi.has(RUNTIME);
}

export async function stopWorkflowRuntime(strapi: Core.Strapi): Promise<void> {
  if (strapi.has(RUNTIME)) await workflowRuntime(strapi).stop();
}

export interface WorkflowRuntime {
  mode: WorkflowEngineMode;
  gateway: RunningGateway | null;
  /** Who may call the embedded gateway (null in Zeebe mode); the OAuth token endpoint issues from it. */
  gatewayCredentials: GatewayCredentials | null;
  /** The embedded engine (null in Zeebe mode); the platform itself talks to it only through `client`. */
  engine: Engine | null;
  client: ZeebeClient;
  workers: RunningWorkers | null;
  /** The task inbox (null when WORKFLOW_TASK_INBOX=false, e.g. when another system handles user tasks). */
  tasks: TaskInbox | null;
  stop(): Promise<void>;
}

export function workflowEngineMode(): WorkflowEngineMode {
  const mode = (process.env.WORKFLOW_ENGINE ?? 'embedded').toLowerCase();
  if (mode !== 'embedded' && mode !== 'zeebe') throw new Error(`WORKFLOW_ENGINE must be embedded or zeebe, got "${mode}"`);
  return mode;
}

/** Embedded: engine tables + gateway on this machine. Zeebe: neither; the same client talks to the cluster. */
export async function startWorkflowRuntime(strapi: Core.Strapi): Promise<WorkflowRuntime> {
  const mode = workflowEngineMode();
  const log = {
    info: (m: string) => strapi.log.info(`[workflow] ${m}`),
    warn: (m: string) => strapi.log.warn(`[workflow] ${m}`),
    error: (m: string) => strapi.log.error(`[workflow] ${m}`),
  };
  let gateway: RunningGateway | null = null;
  let engine: Engine | null = null;
  let credentials: GatewayCredentials | null = null;
  if (mode === 'embedded') {
    // Both read before the engine starts: a bad setting stops the start with nothing half-running.
    const listen = gatewayListenOptions(process.env);
    credentials = gatewayCredentials(process.env, log);
    engine = new Engine(strapi.db.connection, log, { clockControlled: process.env.WORKFLOW_ENGINE_CLOCK_CONTROLLED === 'true' });
    await engine.start();
    try {
      gateway = await startGateway({ engine, listen, credentials, log });
    } catch (error) {
      await engine.stop();
      throw error;
    }
  }
  const client = createZeebeClient(gateway && credentials ? { address: gateway.localAddress, token: credentials.token } : null);
  let stopping: Promise<void> | undefined;
  const runtime: WorkflowRuntime = {
    mode,
    gateway,
    gatewayCredentials: credentials,
    engine,
    client,
    workers: null,
    tasks: null,
    stop() {
      stopping ??= (async () => {
        await runtime.tasks?.stop();
        await runtime.workers?.close();
        await client.close().catch(() => undefined);
        await gateway?.stop();
        await engine?.stop();
      })();
      return stopping;
    },
  };
  platformRegistry(strapi).setWorkflowRuntime({ mode, gatewayAddress: gateway?.address ?? null });
  platformRegistry(strapi).setProcesses(processesOver(client));
  strapi.add(RUNTIME, () => runtime);
  try {
    await deployWorkflows(client, log);
    runtime.workers = startJobWorkers(strapi, client);
    if (runtime.workers.types.length) log.info(`job workers: ${runtime.workers.types.join(', ')}`);
    if (process.env.WORKFLOW_TASK_INBOX !== 'false') {
      const rest = engine ? null : createZeebeRestClient();
      if (!engine && !rest) log.warn('Camunda user tasks (zeebe:userTask) stay out of the task inbox: set ZEEBE_REST_ADDRESS to the cluster\'s REST API');
      const camundaTasks = engine ? embeddedTaskSource(engine) : rest ? restTaskSource(rest) : null;
      runtime.tasks = new TaskInbox({ knex: strapi.db.connection, client, engine, camundaTasks, workflowsDir: workflowsDir(), log });
      await runtime.tasks.start();
    }
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  return runtime;
}

/** workflows/ of the repository (CHANNELFLOW_WORKFLOWS_DIR to point elsewhere): BPMN and Camunda forms. */
export function workflowsDir(): string {
  return process.env.CHANNELFLOW_WORKFLOWS_DIR ?? path.join(repoRoot(), 'workflows');
}

/**
 * Deploys every workflows/*.bpmn, *.dmn and *.form (and workflows/forms/*.form) in one all-or-nothing deployment. Unchanged files keep
 * their version; a refused file stops the start with the engine's reasons, naming each element.
 */
async function deployWorkflows(client: ZeebeClient, log: { info(m: string): void }): Promise<void> {
  const dir = workflowsDir();
  const list = (folder: string, pattern: RegExp) => (fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => pattern.test(f)).sort().map((f) => path.join(folder, f)) : []);
  // Camunda forms (Modeler's .form files) go with them, for the user tasks that link them by formId.
  const files = [...list(dir, /\.(bpmn|dmn|form)$/), ...list(path.join(dir, 'forms'), /\.form$/)];
  if (!files.length) return;
  const resources = files.map((file) => {
    const name = path.basename(file);
    const content = fs.readFileSync(file);
    return name.endsWith('.dmn') ? { name, decision: content } : name.endsWith('.form') ? { name, form: content } : { name, process: content };
  });
  const result = await client.deployResources(resources as any);
  const summary = (result.deployments as any[])
    .map((d) =>
      d.process
        ? `${d.process.bpmnProcessId} v${d.process.version}`
        : d.decision
          ? `decision ${d.decision.dmnDecisionId} v${d.decision.version}`
          : d.form
            ? `form ${d.form.formId} v${d.form.version}`
            : null,
    )
    .filter(Boolean)
    .join(', ');
  log.info(`deployed ${summary}`);
}

/** The workflows() facade plug-ins use: the one Zeebe client, refusals as coded errors. */
function processesOver(client: ZeebeClient): Workflows {
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw fromZeebeError(error);
    }
  };
  return {
    startProcess: ({ bpmnProcessId, version, variables, businessKey }) =>
      call(async () => {
        const started = await client.createProcessInstance({ bpmnProcessId, version, variables: businessKey ? { ...variables, businessKey } : variables } as any);
        return {
          processInstanceKey: String(started.processInstanceKey),
          bpmnProcessId: started.bpmnProcessId,
          version: Number(started.version),
          processDefinitionKey: String(started.processDefinitionKey),
        };
      }),
    publishMessage: ({ name, correlationKey, variables, timeToLiveMs, messageId }) =>
      call(async () => {
        const published = await client.publishMessage({ name, correlationKey, variables: variables ?? {}, timeToLive: timeToLiveMs ?? 0, messageId } as any);
        return { key: String(published.key) };
      }),
  };
}
