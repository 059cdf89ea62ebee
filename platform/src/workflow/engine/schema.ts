import type { Knex } from 'knex';
import { DECISION_INSTANCES, decisionInstanceRows } from './state/decisions';

/**
 * The engine's own tables. Strapi leaves tables it never tracked alone, and plain knex keeps
 * the hot path (jobs, instances) free of the content-type layer's overhead.
 */
export async function ensureEngineSchema(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable('wf_sequence'))) {
    await knex.schema.createTable('wf_sequence', (t) => {
      t.string('name', 32).primary();
      t.bigInteger('value').notNullable();
    });
    await knex('wf_sequence').insert({ name: 'key', value: 0 });
  }
  if (!(await knex.schema.hasTable('wf_deployments'))) {
    await knex.schema.createTable('wf_deployments', (t) => {
      t.bigInteger('key').primary();
      t.string('tenant_id', 64).notNullable();
      t.timestamp('created_at').notNullable();
    });
  }
  if (!(await knex.schema.hasTable('wf_process_definitions'))) {
    await knex.schema.createTable('wf_process_definitions', (t) => {
      t.bigInteger('key').primary();
      t.bigInteger('deployment_key').notNullable();
      t.string('bpmn_process_id', 255).notNullable();
      t.integer('version').notNullable();
      t.string('resource_name', 255).notNullable();
      t.string('checksum', 64).notNullable();
      t.text('xml').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.timestamp('created_at').notNullable();
      t.unique(['tenant_id', 'bpmn_process_id', 'version']);
    });
  }
  for (const [name, build] of RUNTIME_TABLES) {
    if (!(await knex.schema.hasTable(name))) await knex.schema.createTable(name, build);
  }
  if (!(await knex.schema.hasTable(DECISION_INSTANCES))) {
    await knex.schema.createTable(DECISION_INSTANCES, (t) => {
      // One row per decision an evaluation evaluated (a DRG's required decisions too), so the
      // decision-instance search filters and pages in SQL; the details stay on the evaluation.
      t.bigInteger('evaluation_key').notNullable();
      t.integer('idx').notNullable();
      t.bigInteger('decision_key').notNullable();
      t.string('decision_id', 255).notNullable();
      t.string('state', 16).notNullable();
      t.bigInteger('process_instance_key').nullable();
      t.bigInteger('process_definition_key').nullable();
      t.bigInteger('element_instance_key').nullable();
      t.string('tenant_id', 64).notNullable();
      t.primary(['evaluation_key', 'idx']);
      t.index(['decision_id']);
      t.index(['decision_key']);
      t.index(['process_instance_key']);
    });
    // Evaluations recorded before the table existed get their rows.
    for (let after = -1; ; ) {
      const rows = await knex('wf_decision_evaluations').where('key', '>', after).orderBy('key').limit(500);
      if (!rows.length) break;
      for (const row of rows) await knex(DECISION_INSTANCES).insert(decisionInstanceRows(row));
      after = rows[rows.length - 1].key;
    }
  }
  // Added after the first release: installations from before get the columns.
  if (!(await knex.schema.hasColumn('wf_jobs', 'kind'))) {
    await knex.schema.alterTable('wf_jobs', (t) => {
      /** BPMN_ELEMENT, or EXECUTION_LISTENER for a listener's job (its event type in listener_event_type). */
      t.string('kind', 32).notNullable().defaultTo('BPMN_ELEMENT');
      t.string('listener_event_type', 16).nullable();
    });
  }
  // (null version tag: the process or decision has none)
  for (const table of ['wf_process_definitions', 'wf_decisions']) {
    if (!(await knex.schema.hasColumn(table, 'version_tag'))) await knex.schema.alterTable(table, (t) => t.string('version_tag', 255).nullable());
  }
}

/**
 * Runtime state. Element instances exist only while active; what happened is in wf_history.
 * Times are epoch milliseconds (bigint) so SQLite and PostgreSQL compare them the same way.
 * Variables are one JSON document per scope (the instance's root scope or a local scope).
 */
const RUNTIME_TABLES: Array<[string, (t: Knex.CreateTableBuilder) => void]> = [
  [
    'wf_process_instances',
    (t) => {
      t.bigInteger('key').primary();
      t.bigInteger('process_definition_key').notNullable();
      t.string('bpmn_process_id', 255).notNullable();
      t.integer('version').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.string('state', 16).notNullable();
      t.string('business_key', 255).nullable();
      t.bigInteger('parent_process_instance_key').nullable();
      t.bigInteger('parent_element_instance_key').nullable();
      /** Final variables of an ended instance (active ones keep theirs on the root element instance). */
      t.text('variables').nullable();
      t.bigInteger('started_at').notNullable();
      t.bigInteger('ended_at').nullable();
      t.index(['bpmn_process_id', 'state']);
      t.index(['state', 'started_at']);
      t.index(['business_key']);
    },
  ],
  [
    'wf_element_instances',
    (t) => {
      t.bigInteger('key').primary();
      t.bigInteger('process_instance_key').notNullable();
      /** The element instance of the enclosing scope; null for the process itself. */
      t.bigInteger('flow_scope_key').nullable();
      t.string('element_id', 255).notNullable();
      t.string('element_type', 64).notNullable();
      t.string('state', 16).notNullable();
      t.text('variables').nullable();
      /** Engine bookkeeping: joins, multi-instance counters, the event that interrupted it. */
      t.text('data').nullable();
      t.bigInteger('created_at').notNullable();
      t.index(['process_instance_key']);
      t.index(['flow_scope_key']);
    },
  ],
  [
    'wf_jobs',
    (t) => {
      t.bigInteger('key').primary();
      t.string('type', 255).notNullable();
      t.string('state', 16).notNullable();
      t.integer('retries').notNullable();
      /** When the job can next be handed out: creation, end of a back-off, or the deadline of an activation. */
      t.bigInteger('activatable_at').nullable();
      t.bigInteger('deadline').nullable();
      t.string('worker', 255).nullable();
      t.bigInteger('process_instance_key').notNullable();
      t.bigInteger('element_instance_key').notNullable();
      t.string('element_id', 255).notNullable();
      t.string('bpmn_process_id', 255).notNullable();
      t.bigInteger('process_definition_key').notNullable();
      t.integer('version').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.text('custom_headers').notNullable();
      t.text('error_message').nullable();
      t.bigInteger('created_at').notNullable();
      t.index(['type', 'activatable_at']);
      t.index(['process_instance_key']);
      t.index(['element_instance_key']);
    },
  ],
  [
    'wf_timers',
    (t) => {
      t.bigInteger('key').primary();
      t.bigInteger('process_definition_key').notNullable();
      /** Null for timer start events. */
      t.bigInteger('process_instance_key').nullable();
      t.bigInteger('element_instance_key').nullable();
      t.string('target_element_id', 255).notNullable();
      t.bigInteger('due_at').notNullable();
      t.integer('repetitions').notNullable();
      t.string('interval', 64).nullable();
      t.string('tenant_id', 64).notNullable();
      t.index(['due_at']);
      t.index(['element_instance_key']);
      t.index(['process_definition_key']);
    },
  ],
  [
    'wf_message_subscriptions',
    (t) => {
      t.bigInteger('key').primary();
      t.string('message_name', 255).notNullable();
      t.string('correlation_key', 255).notNullable();
      t.bigInteger('process_instance_key').notNullable();
      t.bigInteger('element_instance_key').notNullable();
      t.string('target_element_id', 255).notNullable();
      t.string('bpmn_process_id', 255).notNullable();
      t.string('tenant_id', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.index(['tenant_id', 'message_name', 'correlation_key']);
      t.index(['element_instance_key']);
    },
  ],
  [
    // Which process versions a deployment held, new or unchanged (bindingType="deployment" calls among them).
    'wf_deployment_processes',
    (t) => {
      t.bigInteger('deployment_key').notNullable();
      t.bigInteger('process_definition_key').notNullable();
      t.string('bpmn_process_id', 255).notNullable();
      t.primary(['deployment_key', 'bpmn_process_id']);
    },
  ],
  [
    // Deployed Camunda forms (.form), versioned by their id like processes; user tasks link them by formId.
    'wf_forms',
    (t) => {
      t.bigInteger('key').primary();
      t.bigInteger('deployment_key').notNullable();
      t.string('form_id', 255).notNullable();
      t.integer('version').notNullable();
      t.string('version_tag', 255).nullable();
      t.string('resource_name', 255).notNullable();
      t.string('checksum', 64).notNullable();
      t.text('schema').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['tenant_id', 'form_id', 'version']);
    },
  ],
  [
    'wf_deployment_forms',
    (t) => {
      t.bigInteger('deployment_key').notNullable();
      t.bigInteger('form_key').notNullable();
      t.string('form_id', 255).notNullable();
      t.primary(['deployment_key', 'form_id']);
    },
  ],
  [
    // Which decision versions a deployment held, new or unchanged (bindingType="deployment" calls among them).
    'wf_deployment_decisions',
    (t) => {
      t.bigInteger('deployment_key').notNullable();
      t.bigInteger('decision_key').notNullable();
      t.string('decision_id', 255).notNullable();
      t.primary(['deployment_key', 'decision_id']);
    },
  ],
  [
    // Every decision evaluation (Zeebe's decision instances), by a business-rule task or the EvaluateDecision API.
    'wf_decision_evaluations',
    (t) => {
      t.bigInteger('key').primary();
      t.bigInteger('decision_key').notNullable();
      t.string('decision_id', 255).notNullable();
      t.integer('decision_version').notNullable();
      t.bigInteger('decision_requirements_key').notNullable();
      t.bigInteger('process_instance_key').nullable();
      t.bigInteger('process_definition_key').nullable();
      t.string('bpmn_process_id', 255).nullable();
      t.bigInteger('element_instance_key').nullable();
      t.string('element_id', 255).nullable();
      /** EVALUATED or FAILED. */
      t.string('state', 16).notNullable();
      t.text('failure_message').nullable();
      t.text('output').notNullable();
      /** Each decision of the DRG it evaluated: inputs, matched rules, output. */
      t.text('evaluated').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.bigInteger('evaluated_at').notNullable();
      t.index(['process_instance_key']);
      t.index(['decision_id']);
    },
  ],
  [
    // A deployed DMN resource (decision requirements graph), versioned by its id like a process.
    'wf_decision_requirements',
    (t) => {
      t.bigInteger('key').primary();
      t.bigInteger('deployment_key').notNullable();
      t.string('drg_id', 255).notNullable();
      t.string('name', 255).notNullable();
      t.integer('version').notNullable();
      t.string('resource_name', 255).notNullable();
      t.string('checksum', 64).notNullable();
      t.text('xml').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['tenant_id', 'drg_id', 'version']);
    },
  ],
  [
    'wf_decisions',
    (t) => {
      t.bigInteger('key').primary();
      t.string('decision_id', 255).notNullable();
      t.string('name', 255).notNullable();
      t.integer('version').notNullable();
      t.bigInteger('decision_requirements_key').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.unique(['tenant_id', 'decision_id', 'version']);
      t.index(['decision_requirements_key']);
    },
  ],
  [
    // Signals are broadcast, never buffered: a subscription exists only while its element waits.
    'wf_signal_subscriptions',
    (t) => {
      t.bigInteger('key').primary();
      t.string('signal_name', 255).notNullable();
      t.bigInteger('process_instance_key').notNullable();
      t.bigInteger('element_instance_key').notNullable();
      t.string('target_element_id', 255).notNullable();
      t.string('bpmn_process_id', 255).notNullable();
      t.string('tenant_id', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.index(['tenant_id', 'signal_name']);
      t.index(['element_instance_key']);
    },
  ],
  [
    // Camunda user tasks (zeebe:userTask). They stay after they end, so searches find completed ones.
    'wf_user_tasks',
    (t) => {
      t.bigInteger('key').primary();
      t.bigInteger('element_instance_key').notNullable();
      t.bigInteger('process_instance_key').notNullable();
      t.bigInteger('process_definition_key').notNullable();
      t.string('bpmn_process_id', 255).notNullable();
      t.integer('version').notNullable();
      t.string('element_id', 255).notNullable();
      t.string('name', 255).nullable();
      t.string('tenant_id', 64).notNullable();
      /** CREATING, CREATED, ASSIGNING, UPDATING, COMPLETING (listeners at work), COMPLETED, CANCELED. */
      t.string('state', 16).notNullable();
      t.string('assignee', 255).nullable();
      t.text('candidate_groups').notNullable();
      t.text('candidate_users').notNullable();
      t.string('due_date', 64).nullable();
      t.string('follow_up_date', 64).nullable();
      t.integer('priority').notNullable();
      t.string('form_key', 255).nullable();
      t.string('external_form_reference', 255).nullable();
      /** The deployed form (wf_forms) a formId linked, in the version the binding chose. */
      t.bigInteger('linked_form_key').nullable();
      t.text('custom_headers').notNullable();
      /** The transition waiting for its task listeners: what was asked, and which listener runs. */
      t.text('pending').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('ended_at').nullable();
      t.index(['state']);
      t.index(['element_instance_key']);
      t.index(['process_instance_key']);
    },
  ],
  [
    // Zeebe's compensation subscriptions: one per completed compensable activity (or subprocess
    // holding some), until its handler completed or the process instance ended.
    'wf_compensation_subscriptions',
    (t) => {
      t.bigInteger('key').primary();
      t.bigInteger('process_instance_key').notNullable();
      /** The completed activity (the multi-instance body for a multi-instance activity). */
      t.string('activity_id', 255).notNullable();
      t.bigInteger('activity_instance_key').notNullable();
      /** The element instance of the scope the activity completed in: what a throw event there compensates. */
      t.bigInteger('scope_key').notNullable();
      /** Null for a subprocess that only holds subscriptions of its own children. */
      t.string('handler_id', 255).nullable();
      /** Set once a throw event triggered it; that throw event waits until its subscriptions are gone. */
      t.bigInteger('throw_event_instance_key').nullable();
      t.bigInteger('created_at').notNullable();
      t.index(['process_instance_key']);
    },
  ],
  [
    'wf_messages',
    (t) => {
      t.bigInteger('key').primary();
      t.string('name', 255).notNullable();
      t.string('correlation_key', 255).notNullable();
      t.string('message_id', 255).nullable();
      t.text('variables').notNullable();
      t.bigInteger('expires_at').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.index(['tenant_id', 'name', 'correlation_key']);
      t.index(['expires_at']);
    },
  ],
  [
    'wf_message_correlations',
    (t) => {
      t.bigInteger('message_key').notNullable();
      t.string('bpmn_process_id', 255).notNullable();
      t.primary(['message_key', 'bpmn_process_id']);
    },
  ],
  [
    'wf_incidents',
    (t) => {
      t.bigInteger('key').primary();
      t.bigInteger('process_instance_key').notNullable();
      t.bigInteger('element_instance_key').notNullable();
      t.string('element_id', 255).notNullable();
      t.string('bpmn_process_id', 255).notNullable();
      t.bigInteger('job_key').nullable();
      t.string('error_type', 64).notNullable();
      t.text('error_message').notNullable();
      t.string('state', 16).notNullable();
      /** What resolving retries: the step of the element that failed. */
      t.string('retry_step', 16).nullable();
      t.string('tenant_id', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('resolved_at').nullable();
      t.index(['process_instance_key']);
      t.index(['state']);
    },
  ],
  [
    'wf_history',
    (t) => {
      t.increments('id').primary();
      t.bigInteger('process_instance_key').notNullable();
      t.bigInteger('element_instance_key').notNullable();
      t.string('element_id', 255).notNullable();
      t.string('element_type', 64).notNullable();
      t.string('intent', 32).notNullable();
      t.bigInteger('at').notNullable();
      t.index(['process_instance_key']);
    },
  ],
  [
    'wf_counters',
    (t) => {
      t.string('name', 64).primary();
      t.bigInteger('value').notNullable();
    },
  ],
];
