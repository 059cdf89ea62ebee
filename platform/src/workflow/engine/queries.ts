import type { Knex } from 'knex';

/**
 * Read models over the engine's tables for the APIs that search (the REST API's searches). Only
 * this module and the engine's own state code read the `wf_*` tables.
 */
export interface SearchPage {
  from: number;
  limit: number;
}

export interface ProcessInstanceFilter {
  processInstanceKey?: number;
  processDefinitionId?: string;
  processDefinitionKey?: number;
  state?: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  parentProcessInstanceKey?: number;
  tenantId?: string;
}

export interface IncidentFilter {
  incidentKey?: number;
  processInstanceKey?: number;
  processDefinitionId?: string;
  elementId?: string;
  errorType?: string;
  state?: 'ACTIVE' | 'RESOLVED';
  tenantId?: string;
}

const iso = (ms: unknown) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());
const defined = (where: Record<string, unknown>) => Object.fromEntries(Object.entries(where).filter(([, v]) => v !== undefined));

export function engineQueries(knex: Knex) {
  return {
    async processInstances(filter: ProcessInstanceFilter, page: SearchPage) {
      const where = defined({
        key: filter.processInstanceKey,
        bpmn_process_id: filter.processDefinitionId,
        process_definition_key: filter.processDefinitionKey,
        state: filter.state,
        parent_process_instance_key: filter.parentProcessInstanceKey,
        tenant_id: filter.tenantId,
      });
      const [{ total }] = await knex('wf_process_instances').where(where).count({ total: '*' });
      const rows = await knex('wf_process_instances as p')
        .where(Object.fromEntries(Object.entries(where).map(([k, v]) => [`p.${k}`, v])))
        .select('p.*')
        .select(knex.raw("exists (select 1 from wf_incidents i where i.process_instance_key = p.key and i.state = 'ACTIVE') as has_incident"))
        .orderBy('p.key', 'desc')
        .offset(page.from)
        .limit(page.limit);
      return {
        total: Number(total),
        items: rows.map((r: any) => ({
          processInstanceKey: String(r.key),
          processDefinitionId: r.bpmn_process_id,
          processDefinitionVersion: Number(r.version),
          processDefinitionKey: String(r.process_definition_key),
          parentProcessInstanceKey: r.parent_process_instance_key == null ? null : String(r.parent_process_instance_key),
          parentElementInstanceKey: r.parent_element_instance_key == null ? null : String(r.parent_element_instance_key),
          state: r.state,
          startDate: iso(r.started_at),
          endDate: iso(r.ended_at),
          hasIncident: Boolean(Number(r.has_incident)),
          tenantId: r.tenant_id,
        })),
      };
    },

    async incidents(filter: IncidentFilter, page: SearchPage) {
      const where = defined({
        key: filter.incidentKey,
        process_instance_key: filter.processInstanceKey,
        bpmn_process_id: filter.processDefinitionId,
        element_id: filter.elementId,
        error_type: filter.errorType,
        state: filter.state,
        tenant_id: filter.tenantId,
      });
      const [{ total }] = await knex('wf_incidents').where(where).count({ total: '*' });
      const rows = await knex('wf_incidents').where(where).orderBy('key', 'desc').offset(page.from).limit(page.limit);
      return {
        total: Number(total),
        items: rows.map((r: any) => ({
          incidentKey: String(r.key),
          processInstanceKey: String(r.process_instance_key),
          processDefinitionId: r.bpmn_process_id,
          elementId: r.element_id,
          elementInstanceKey: String(r.element_instance_key),
          jobKey: r.job_key == null ? null : String(r.job_key),
          errorType: r.error_type,
          errorMessage: r.error_message,
          state: r.state,
          creationTime: iso(r.created_at),
          tenantId: r.tenant_id,
        })),
      };
    },

    async processDefinitionXml(key: number): Promise<string | null> {
      const row = await knex('wf_process_definitions').where({ key }).first('xml');
      return row?.xml ?? null;
    },
  };
}
