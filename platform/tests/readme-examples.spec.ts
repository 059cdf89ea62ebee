import { describe, expect, it } from 'vitest';
import { fillPlaceholders, firstValue, graphqlSteps, printedJson, readmeExamples } from './support/readme-examples';

const fence = '```';
const md = (...blocks: string[]) => blocks.join('\n\nSome prose.\n\n');

describe('reading the README examples', () => {
  it('takes GraphQL and shell blocks, with the reason of those not executed; other blocks are not examples', () => {
    const text = md(`${fence}sh not-executed: starts the server\nnpm start\n${fence}`, `${fence}ts\nconst x = 1;\n${fence}`, `${fence}\noutput\n${fence}`, `${fence}graphql\n# as anyone\nquery { a }\n${fence}`, `  ${fence}bash\n  echo hi\n  ${fence}`);
    expect(readmeExamples(text)).toEqual([
      { line: 1, language: 'sh', code: 'npm start', notExecuted: 'starts the server' },
      { line: 19, language: 'graphql', code: '# as anyone\nquery { a }', notExecuted: null },
      { line: 26, language: 'sh', code: 'echo hi', notExecuted: null },
    ]);
  });

  it.each([
    [`${fence}sh not-executed:\nnpm start\n${fence}`, /needs a reason/],
    [`${fence}sh skip\nnpm start\n${fence}`, /unknown fence option "skip"/],
    [`${fence}graphql\nquery { a }`, /never closes/],
  ])('refuses %j', (text, message) => {
    expect(() => readmeExamples(text)).toThrow(message);
  });

  it('runs each operation as the login named above it, and refuses an operation nobody is named for', () => {
    const [example] = readmeExamples(`${fence}graphql\n# as anyone\nmutation { apply { number } }\n# staff now\n# as chen.manager@demo.channelflow.local\nquery { application(number: "<number from apply>") { status } }\n${fence}`);
    expect(graphqlSteps(example!).map((s) => [s.line, s.as, s.operation, s.rootFields])).toEqual([
      [3, null, 'mutation', ['apply']],
      [6, 'chen.manager@demo.channelflow.local', 'query', ['application']],
    ]);
    const [unnamed] = readmeExamples(`${fence}graphql\nquery { a }\n${fence}`);
    expect(() => graphqlSteps(unnamed!)).toThrow(/line 2: say who runs this operation/);
  });

  it('fills <field from operation> from the latest answer, depth first, and names what it cannot fill', () => {
    const answers = new Map<string, unknown>([['myOrders', { nodes: [{ id: '7', lines: [{ sku: 'AU-0101' }, { sku: 'AU-0203' }] }, { id: '8' }] }]]);
    expect(fillPlaceholders('{ o: "<id from myOrders>", s: "<sku from myOrders>", p: "<DEMO_PASSWORD>" }', answers, { DEMO_PASSWORD: 'pw' })).toEqual({ text: '{ o: "7", s: "AU-0101", p: "pw" }', missing: [], sources: ['myOrders'] });
    expect(fillPlaceholders('"<id from placeOrder>" "<task id>" a -> b', answers, {}).missing).toEqual(['<id from placeOrder>', '<task id> (write it as <field from operation>)']);
    expect(firstValue({ a: { b: null }, c: [{ b: 2 }] }, 'b')).toBe(2);
  });

  it('reads the JSON a command printed, whole or line by line', () => {
    expect(printedJson('{"token":"t"}\n')).toEqual([{ token: 't' }]);
    expect(printedJson('Cluster size: 1\n{"a":1}\n{"b":2}')).toEqual([{ a: 1 }, { b: 2 }]);
  });
});
