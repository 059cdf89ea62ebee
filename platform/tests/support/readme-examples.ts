import { parse, print, type OperationDefinitionNode } from 'graphql';

/*
 * README examples as tests. Every ```graphql and ```sh block runs, in README order, against a
 * platform with the demo data, unless its fence says why not: ```sh not-executed: <reason>.
 * A GraphQL block says who runs it with a comment line `# as <demo login>` (or `# as anyone`),
 * which holds for the operations after it; a placeholder `<field from operation>` is the first
 * `field` in the latest answer of that root field (or, for a shell command, of the URL's last
 * path segment), and `<DEMO_PASSWORD>` is the demo password.
 */

export const EXAMPLE_LANGUAGES = new Set(['sh', 'bash', 'shell', 'graphql', 'gql']);

export interface ReadmeExample {
  /** 1-based line of the opening fence. */
  line: number;
  language: 'graphql' | 'sh';
  code: string;
  /** Why it is not run, when its fence says `not-executed: <reason>`. */
  notExecuted: string | null;
}

export interface GraphqlStep {
  /** The README line the operation starts on. */
  line: number;
  /** A demo login's e-mail, or null for anyone (no sign-in). */
  as: string | null;
  document: string;
  operation: 'query' | 'mutation';
  rootFields: string[];
}

/** The fenced GraphQL and shell blocks of a Markdown text; a block of another language is not an example. */
export function readmeExamples(markdown: string): ReadmeExample[] {
  const lines = markdown.split('\n');
  const examples: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, language, rest] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j]!)) body.push(lines[j]!.slice(indent!.length)), j++;
    if (j === lines.length) throw new Error(`README line ${i + 1}: a code block that never closes`);
    if (EXAMPLE_LANGUAGES.has(language!)) {
      const skip = /^not-executed:\s*(.*)$/.exec(rest!.trim());
      if (rest!.trim() && !skip) throw new Error(`README line ${i + 1}: unknown fence option "${rest}" (only "not-executed: <reason>")`);
      if (skip && !skip[1]!.trim()) throw new Error(`README line ${i + 1}: "not-executed:" needs a reason`);
      examples.push({ line: i + 1, language: language === 'graphql' || language === 'gql' ? 'graphql' : 'sh', code: body.join('\n'), notExecuted: skip ? skip[1]!.trim() : null });
    }
    i = j;
  }
  return examples;
}

/** A GraphQL block's operations, each with who runs it (from the `# as …` comment before it). */
export function graphqlSteps(example: ReadmeExample): GraphqlStep[] {
  const document = parse(example.code, { noLocation: false });
  const markers: Array<{ offset: number; as: string | null }> = [];
  let offset = 0;
  for (const text of example.code.split('\n')) {
    const marker = /^\s*#\s*as\s+(\S+)/.exec(text);
    if (marker) markers.push({ offset, as: marker[1] === 'anyone' ? null : marker[1]! });
    offset += text.length + 1;
  }
  return document.definitions.map((definition) => {
    if (definition.kind !== 'OperationDefinition' || definition.operation === 'subscription') throw new Error(`README line ${example.line}: only queries and mutations can be run`);
    const start = definition.loc!.start;
    const marker = markers.filter((m) => m.offset < start).at(-1);
    const line = example.line + 1 + example.code.slice(0, start).split('\n').length - 1;
    if (!marker) throw new Error(`README line ${line}: say who runs this operation with a comment line "# as <demo login>" (or "# as anyone") above it`);
    const operation = definition as OperationDefinitionNode;
    const rootFields = operation.selectionSet.selections.map((s) => (s.kind === 'Field' ? (s.alias ?? s.name).value : '…'));
    return { line, as: marker.as, document: print(operation), operation: operation.operation as 'query' | 'mutation', rootFields };
  });
}

const PLACEHOLDER = /<([^<>\n]+)>/g;

/**
 * Fills placeholders in `text` from `answers` (root field or URL segment → answer) and `fixed`
 * (e.g. DEMO_PASSWORD). Returns the names it could not fill, so the caller can wait or fail.
 */
export function fillPlaceholders(text: string, answers: Map<string, unknown>, fixed: Record<string, string>): { text: string; missing: string[]; sources: string[] } {
  const missing: string[] = [];
  const sources = new Set<string>();
  const filled = text.replace(PLACEHOLDER, (whole, name: string) => {
    if (name in fixed) return fixed[name]!;
    const from = /^([\w ]+?) from ([\w-]+)$/.exec(name);
    if (!from) {
      // Shell redirections and HTML are not placeholders; anything else in angle brackets is.
      if (/^[\w -]+$/.test(name)) missing.push(`${whole} (write it as <field from operation>)`);
      return whole;
    }
    const [, field, source] = from;
    sources.add(source!);
    const value = answers.has(source!) ? firstValue(answers.get(source!), field!.trim()) : undefined;
    if (value === undefined) {
      missing.push(whole);
      return whole;
    }
    return String(value);
  });
  return { text: filled, missing, sources: [...sources] };
}

/** The first scalar under key `field`, depth first (the first list entry before the next). */
export function firstValue(answer: unknown, field: string): string | number | boolean | undefined {
  if (Array.isArray(answer)) {
    for (const entry of answer) {
      const found = firstValue(entry, field);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (answer === null || typeof answer !== 'object') return undefined;
  const own = (answer as Record<string, unknown>)[field];
  if (own !== undefined && own !== null && typeof own !== 'object') return own as string | number | boolean;
  for (const value of Object.values(answer as Record<string, unknown>)) {
    const found = firstValue(value, field);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The JSON values a shell command printed (one document, or one per line); other output is ignored. */
export function printedJson(stdout: string): unknown[] {
  const whole = tryJson(stdout.trim());
  if (whole !== undefined) return [whole];
  return stdout.split('\n').map((line) => tryJson(line.trim())).filter((value) => value !== undefined);
}

function tryJson(text: string): unknown {
  if (!/^[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
