import { describe, expect, it } from 'vitest';
import { bpmn, deployProcess, eventually, externalZeebe, grpcRefusal, openIncidents, uniqueId, useZeebeTarget } from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
// DMN 1.3 decisions as Camunda 8 evaluates them (decision tables with every hit policy, literal
// expressions, required decisions), deployed with DeployResource, evaluated by EvaluateDecision and
// by business-rule tasks (zeebe:calledDecision).
describe('Zeebe conformance: DMN decisions', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;

  const dmn = (drgId: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="${drgId}" name="${drgId}" namespace="http://channelflow.dev/dmn">
${body}
</definitions>`;
  const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  /** A decision table: inputs are FEEL expressions, rules are [input entries…, output entries…]. */
  const table = (id: string, options: { hitPolicy?: string; aggregation?: string; inputs: string[]; outputs: Array<{ name: string; values?: string }>; rules: string[][] }) => `  <decision id="${id}" name="${id}">
    <decisionTable id="${id}_table"${options.hitPolicy ? ` hitPolicy="${options.hitPolicy}"` : ''}${options.aggregation ? ` aggregation="${options.aggregation}"` : ''}>
${options.inputs.map((expression, i) => `      <input id="${id}_in${i}" label="${esc(expression)}"><inputExpression id="${id}_ie${i}"><text>${esc(expression)}</text></inputExpression></input>`).join('\n')}
${options.outputs.map((o, i) => `      <output id="${id}_out${i}" name="${o.name}">${o.values ? `<outputValues id="${id}_ov${i}"><text>${esc(o.values)}</text></outputValues>` : ''}</output>`).join('\n')}
${options.rules
  .map(
    (rule, r) =>
      `      <rule id="${id}_r${r + 1}">${rule
        .slice(0, options.inputs.length)
        .map((t, i) => `<inputEntry id="${id}_r${r + 1}_i${i}"><text>${esc(t)}</text></inputEntry>`)
        .join('')}${rule
        .slice(options.inputs.length)
        .map((t, i) => `<outputEntry id="${id}_r${r + 1}_o${i}"><text>${esc(t)}</text></outputEntry>`)
        .join('')}</rule>`,
  )
  .join('\n')}
    </decisionTable>
  </decision>`;

  const deployDmn = async (name: string, xml: string) => client().deployResource({ name: `${name}.dmn`, decision: Buffer.from(xml) } as any);
  const evaluate = async (decisionId: string, variables: Record<string, unknown>) => {
    const result = await client().evaluateDecision({ decisionId, variables });
    return { ...result, output: JSON.parse(result.decisionOutput) };
  };

  // Rebate tiers by invoiced volume (minor units), the table every brand's finance team keeps.
  const tiers = (id: string, hitPolicy?: string, aggregation?: string) =>
    table(id, {
      hitPolicy,
      aggregation,
      inputs: ['volume', 'tier'],
      outputs: [{ name: 'rate' }],
      rules: [
        ['>= 1000000', '-', '0.05'],
        ['[500000..1000000)', '-', '0.03'],
        ['>= 500000', '"gold"', '0.01'],
        ['< 500000', '-', '0'],
      ],
    });

  it('deploys a DMN resource: every decision and its requirements graph get versions; an unchanged resource keeps them', async () => {
    const id = uniqueId('rebate_rate');
    const drg = uniqueId('Rebates');
    const xml = dmn(drg, tiers(id, 'FIRST'));
    const first = await deployDmn(drg, xml);
    const decision = first.deployments.find((d: any) => d.decision)?.decision;
    const requirements = first.deployments.find((d: any) => d.decisionRequirements)?.decisionRequirements;
    expect(decision).toMatchObject({ dmnDecisionId: id, version: 1, dmnDecisionRequirementsId: drg });
    expect(requirements).toMatchObject({ dmnDecisionRequirementsId: drg, version: 1 });
    const again = await deployDmn(drg, xml);
    expect(again.deployments.find((d: any) => d.decision)?.decision).toMatchObject({ version: 1, decisionKey: decision!.decisionKey });
    const changed = await deployDmn(drg, xml.replace('0.05', '0.06'));
    expect(changed.deployments.find((d: any) => d.decision)?.decision).toMatchObject({ version: 2 });
    expect((await evaluate(id, { volume: 2_000_000, tier: 'silver' })).output).toBe(0.06);
  });

  it('hit policy UNIQUE: one match gives its output, none gives null, two are an evaluation failure naming the decision', async () => {
    const id = uniqueId('unique_rate');
    await deployDmn(id, dmn(`${id}_drg`, tiers(id)));
    const one = await evaluate(id, { volume: 200_000, tier: 'silver' });
    expect(one.output).toBe(0);
    expect(one.failureMessage).toBe('');
    expect(one.evaluatedDecisions[0]!.matchedRules.map((r: any) => r.ruleIndex)).toEqual([4]);
    const none = await evaluate(id, { volume: null, tier: 'silver' });
    expect(none.output).toBeNull();
    const two = await client().evaluateDecision({ decisionId: id, variables: { volume: 600_000, tier: 'gold' } });
    expect(two.failedDecisionId).toBe(id);
    expect(two.failureMessage).not.toBe('');
  });

  it('hit policies FIRST, ANY, PRIORITY, RULE ORDER, OUTPUT ORDER and COLLECT with SUM, MIN, MAX, COUNT', async () => {
    const base = uniqueId('hp');
    const policies: Array<[string, string?, string?]> = [
      ['first', 'FIRST'],
      ['rule_order', 'RULE ORDER'],
      ['collect', 'COLLECT'],
      ['sum', 'COLLECT', 'SUM'],
      ['min', 'COLLECT', 'MIN'],
      ['max', 'COLLECT', 'MAX'],
      ['count', 'COLLECT', 'COUNT'],
    ];
    const priority = table(`${base}_priority`, {
      hitPolicy: 'PRIORITY',
      inputs: ['days'],
      outputs: [{ name: 'level', values: '"block","warn","ok"' }],
      rules: [['> 0', '"warn"'], ['> 30', '"block"'], ['<= 0', '"ok"']],
    });
    const outputOrder = table(`${base}_output_order`, {
      hitPolicy: 'OUTPUT ORDER',
      inputs: ['days'],
      outputs: [{ name: 'level', values: '"block","warn","ok"' }],
      rules: [['> 0', '"warn"'], ['> 30', '"block"'], ['-', '"ok"']],
    });
    const any = table(`${base}_any`, { hitPolicy: 'ANY', inputs: ['region'], outputs: [{ name: 'team' }], rules: [['"east","north"', '"A"'], ['"east"', '"A"'], ['"west"', '"B"'], ['"west"', '"C"']] });
    await deployDmn(base, dmn(`${base}_drg`, [...policies.map(([name, hp, agg]) => tiers(`${base}_${name}`, hp, agg)), priority, outputOrder, any].join('\n')));
    const gold = { volume: 1_200_000, tier: 'gold' };
    expect((await evaluate(`${base}_first`, gold)).output).toBe(0.05);
    expect((await evaluate(`${base}_rule_order`, gold)).output).toEqual([0.05, 0.01]);
    expect((await evaluate(`${base}_collect`, gold)).output).toEqual([0.05, 0.01]);
    expect((await evaluate(`${base}_sum`, gold)).output).toBeCloseTo(0.06);
    expect((await evaluate(`${base}_min`, gold)).output).toBe(0.01);
    expect((await evaluate(`${base}_max`, gold)).output).toBe(0.05);
    expect((await evaluate(`${base}_count`, gold)).output).toBe(2);
    expect((await evaluate(`${base}_count`, { volume: null, tier: null })).output).toBe(0);
    expect((await evaluate(`${base}_collect`, { volume: null, tier: null })).output).toEqual([]);
    expect((await evaluate(`${base}_priority`, { days: 45 })).output).toBe('block');
    expect((await evaluate(`${base}_priority`, { days: 5 })).output).toBe('warn');
    expect((await evaluate(`${base}_output_order`, { days: 45 })).output).toEqual(['block', 'warn', 'ok']);
    expect((await evaluate(`${base}_any`, { region: 'east' })).output).toBe('A');
    expect((await client().evaluateDecision({ decisionId: `${base}_any`, variables: { region: 'west' } })).failedDecisionId).toBe(`${base}_any`);
  });

  it('several outputs give a context; a literal expression and a required decision are evaluated first and visible by id', async () => {
    const id = uniqueId('approval');
    const drg = uniqueId('Credit');
    const exposure = `  <decision id="${id}_exposure" name="Exposure">
    <variable id="${id}_var" name="${id}_exposure" />
    <literalExpression id="${id}_lit"><text>balance + orderTotal</text></literalExpression>
  </decision>`;
  const approval = table(id, {
      inputs: [`${id}_exposure`, 'limit'],
      outputs: [{ name: 'approver' }, { name: 'automatic' }],
      rules: [
        [`<= limit`, '-', '"system"', 'true'],
        [`> limit`, '-', '"finance"', 'false'],
      ],
    }).replace('<decisionTable', `<informationRequirement id="${id}_req"><requiredDecision href="#${id}_exposure" /></informationRequirement>\n    <decisionTable`);
    await deployDmn(drg, dmn(drg, `${exposure}\n${approval}`));
    const within = await evaluate(id, { balance: 300, orderTotal: 200, limit: 1_000 });
    expect(within.output).toEqual({ approver: 'system', automatic: true });
    const over = await evaluate(id, { balance: 900, orderTotal: 200, limit: 1_000 });
    expect(over.output).toEqual({ approver: 'finance', automatic: false });
    expect(over.evaluatedDecisions.map((d: any) => [d.decisionId, d.decisionType])).toEqual([
      [`${id}_exposure`, 'LITERAL_EXPRESSION'],
      [id, 'DECISION_TABLE'],
    ]);
    expect(JSON.parse(over.evaluatedDecisions[0]!.decisionOutput)).toBe(1_100);
  });

  it('a business-rule task calls the latest decision and stores its result in resultVariable', async () => {
    const decisionId = uniqueId('order_route');
    await deployDmn(decisionId, dmn(`${decisionId}_drg`, table(decisionId, { hitPolicy: 'FIRST', inputs: ['total'], outputs: [{ name: 'route' }], rules: [['> 10000', '"director"'], ['-', '"manager"']] })));
    const id = uniqueId('Process_BusinessRule');
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Rule_Route" />
    <bpmn:businessRuleTask id="Rule_Route"><bpmn:extensionElements><zeebe:calledDecision decisionId="${decisionId}" resultVariable="route" /></bpmn:extensionElements></bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Rule_Route" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      ),
    );
    expect((await withResult(id, { total: 50_000 })).variables.route).toBe('director');
    expect((await withResult(id, { total: 500 })).variables.route).toBe('manager');
  });

  it('bindingType picks the version: latest the newest, deployment the one deployed with the process, versionTag the tagged one', async () => {
    const decisionId = uniqueId('price_list');
    const tagged = (version: string, tag: string) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="${decisionId}_drg" name="Price list" namespace="http://channelflow.dev/dmn">
  <decision id="${decisionId}" name="Price list">
    <extensionElements><zeebe:versionTag value="${tag}" /></extensionElements>
    <literalExpression id="${decisionId}_${version}"><text>"${version}"</text></literalExpression>
  </decision>
</definitions>`;
    const id = uniqueId('Process_DecisionBinding');
    const rule = (taskId: string, result: string, binding: string) =>
      `<bpmn:businessRuleTask id="${taskId}"><bpmn:extensionElements><zeebe:calledDecision decisionId="${decisionId}" resultVariable="${result}" ${binding} /></bpmn:extensionElements></bpmn:businessRuleTask>`;
    const process = bpmn(
      id,
      `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Rule_Latest" />
    ${rule('Rule_Latest', 'latest', '')}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Rule_Latest" targetRef="Rule_Deployment" />
    ${rule('Rule_Deployment', 'fromDeployment', 'bindingType="deployment"')}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Rule_Deployment" targetRef="Rule_Tagged" />
    ${rule('Rule_Tagged', 'tagged', 'bindingType="versionTag" versionTag="2026-Q1"')}
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Rule_Tagged" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
    );
    // The process and the first price list in one deployment; a second price list later, alone.
    await client().deployResources([
      { name: `${id}.bpmn`, process: Buffer.from(process) },
      { name: `${decisionId}.dmn`, decision: Buffer.from(tagged('first', '2026-Q1')) },
    ] as any);
    await deployDmn(decisionId, tagged('second', '2026-Q2'));
    expect((await withResult(id)).variables).toMatchObject({ latest: 'second', fromDeployment: 'first', tagged: 'first' });
  });

  it('records every evaluation as decision instances: a business-rule task’s with its process, EvaluateDecision’s with its key', async () => {
    const decisionId = uniqueId('credit_route');
    await deployDmn(decisionId, dmn(`${decisionId}_drg`, table(decisionId, { hitPolicy: 'FIRST', inputs: ['amount'], outputs: [{ name: 'route' }], rules: [['> 100000', '"director"'], ['-', '"finance"']] })));
    const id = uniqueId('Process_DecisionHistory');
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Rule_Route" />
    <bpmn:businessRuleTask id="Rule_Route"><bpmn:extensionElements><zeebe:calledDecision decisionId="${decisionId}" resultVariable="route" /></bpmn:extensionElements></bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Rule_Route" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      ),
    );
    const done = await withResult(id, { amount: 250_000 });
    const found = await suite.restCall('POST', '/decision-instances/search', { filter: { processInstanceKey: done.processInstanceKey } });
    expect(found.status).toBe(200);
    expect(found.body.items).toHaveLength(1);
    const [instance] = found.body.items;
    expect(instance).toMatchObject({ state: 'EVALUATED', decisionDefinitionId: decisionId, processInstanceKey: done.processInstanceKey, result: '"director"' });
    const detail = await suite.restCall('GET', `/decision-instances/${instance.decisionInstanceId}`);
    expect(detail.body.evaluatedInputs).toEqual([expect.objectContaining({ inputName: 'amount', inputValue: '250000' })]);
    expect(detail.body.matchedRules).toEqual([expect.objectContaining({ ruleIndex: 1 })]);

    const standalone = await client().evaluateDecision({ decisionId, variables: { amount: 10 } });
    expect(Number(standalone.decisionInstanceKey)).toBeGreaterThan(0);
    const recorded = await suite.restCall('GET', `/decision-instances/${standalone.decisionInstanceKey}-1`);
    expect(recorded.body).toMatchObject({ decisionDefinitionId: decisionId, result: '"finance"' });
    expect(recorded.body.processInstanceKey).toBeUndefined();
  });

  it.skipIf(externalZeebe)('a called decision that is not deployed, or fails, raises an incident on the task (embedded)', async () => {
    const missing = uniqueId('not_deployed');
    const failing = uniqueId('always_two');
    await deployDmn(failing, dmn(`${failing}_drg`, table(failing, { inputs: ['x'], outputs: [{ name: 'y' }], rules: [['-', '1'], ['-', '2']] })));
    const id = uniqueId('Process_RuleIncident');
    const ruleTask = (taskId: string, decisionId: string) =>
      `<bpmn:businessRuleTask id="${taskId}"><bpmn:extensionElements><zeebe:calledDecision decisionId="${decisionId}" resultVariable="r" /></bpmn:extensionElements></bpmn:businessRuleTask>`;
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_0" sourceRef="StartEvent_1" targetRef="Gateway_Which" />
    <bpmn:exclusiveGateway id="Gateway_Which" default="Flow_B" />
    <bpmn:sequenceFlow id="Flow_A" sourceRef="Gateway_Which" targetRef="Rule_Missing"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=which = "missing"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_B" sourceRef="Gateway_Which" targetRef="Rule_Failing" />
    ${ruleTask('Rule_Missing', missing)}
    ${ruleTask('Rule_Failing', failing)}
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Rule_Missing" targetRef="EndEvent_1" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Rule_Failing" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
      ),
    );
    const a = await client().createProcessInstance({ bpmnProcessId: id, variables: { which: 'missing' } });
    const b = await client().createProcessInstance({ bpmnProcessId: id, variables: { which: 'failing' } });
    const incident = (key: string) =>
      eventually(async () => {
        const [open] = await openIncidents(suite, key);
        expect(open).toBeDefined();
        return open!;
      });
    expect(await incident(a.processInstanceKey)).toMatchObject({ element_id: 'Rule_Missing', error_type: 'CALLED_DECISION_ERROR' });
    expect(await incident(b.processInstanceKey)).toMatchObject({ element_id: 'Rule_Failing', error_type: 'DECISION_EVALUATION_ERROR' });
  });

  it('refuses an invalid DMN resource as a whole, naming the element, and an unknown decision id answers NOT_FOUND', async () => {
    const id = uniqueId('broken');
    const refusal = await grpcRefusal(deployDmn(id, dmn(`${id}_drg`, table(id, { inputs: ['x'], outputs: [{ name: 'y' }], rules: [['[1..', '1']] }))));
    expect(refusal.code).toBe(3);
    expect(refusal.details).toContain(`${id}_r1`);
    expect((await grpcRefusal(client().evaluateDecision({ decisionId: uniqueId('nobody'), variables: {} }))).code).toBe(5);
  });
});
