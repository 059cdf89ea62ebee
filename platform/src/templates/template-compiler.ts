import Handlebars from 'handlebars';
import { createFileCache } from './file-cache';
import { splitFrontMatter } from './front-matter';
import { InvalidSourceError } from './template-error';

type HandlebarsInstance = typeof Handlebars;

export type RenderFn = (context: object, options: Handlebars.RuntimeOptions) => string;

export interface CompiledTemplate {
  file: string;
  subject: RenderFn | null;
  body: RenderFn;
  /** From front matter; undefined means "the default layout when there is one". */
  layout?: string;
  /** From front matter: the whole e-mail is a secret. */
  secret: boolean;
}

/** The file (and how far its compiled text is shifted from the file's first line) an error was thrown from. */
export interface ErrorOrigin {
  file: string;
  lineOffset: number;
}

const origins = new WeakMap<object, ErrorOrigin>();

/** Which compiled file threw this error: the innermost one (a partial inside a layout names the partial). */
export function errorOrigin(error: unknown): ErrorOrigin | undefined {
  return error !== null && typeof error === 'object' ? origins.get(error) : undefined;
}

/** Compiles templates, layouts and partials once per file version, all with strict variable lookup. */
export function createTemplateCompiler(hb: HandlebarsInstance) {
  const templates = createFileCache((source, file): CompiledTemplate => {
    const { frontMatter, body, bodyLineOffset } = splitFrontMatter(source, file);
    return {
      file,
      // A subject is a plain-text header: not HTML-escaped here (the layout escapes it in <title>), and kept to one line.
      subject: frontMatter.subject === undefined ? null : compileSource(hb, frontMatter.subject, file, frontMatter.subjectLineOffset ?? 0, true, NO_RAW),
      body: compileSource(hb, body, file, bodyLineOffset, false, NO_RAW),
      layout: frontMatter.layout,
      secret: frontMatter.secret ?? false,
    };
  });
  const plainFiles = createFileCache((source, file) => compileSource(hb, source.replace(/^\uFEFF/, ''), file, 0, false, LAYOUT_RAW));
  return {
    template: (file: string) => templates.get(file),
    /** A layout or partial: no front matter. */
    plain: (file: string) => plainFiles.get(file),
    clear(): void {
      templates.clear();
      plainFiles.clear();
    },
  };
}

/** Moves Handlebars' "line N" and "- N:C" references by offset so they point into the file, not the compiled fragment. */
export function shiftLineNumbers(message: string, lineOffset: number): string {
  if (lineOffset === 0) return message;
  return message
    .replace(/^Parse error on line (\d+)/, (_all, line: string) => `Parse error on line ${Number(line) + lineOffset}`)
    .replace(/ - (\d+):(\d+)$/, (_all, line: string, column: string) => ` - ${Number(line) + lineOffset}:${column}`);
}

/**
 * Values unescaped output ({{{x}}} or {{&x}}) may write: none in a template, where every value is data (a dealer's
 * name, a reference typed by staff); in a layout only `body`, the template's already escaped HTML.
 */
const NO_RAW: ReadonlySet<string> = new Set();
const LAYOUT_RAW: ReadonlySet<string> = new Set(['body']);

function compileSource(hb: HandlebarsInstance, source: string, file: string, lineOffset: number, noEscape: boolean, rawAllowed: ReadonlySet<string>): RenderFn {
  const options: CompileOptions = { strict: true, noEscape };
  let template: Handlebars.TemplateDelegate;
  try {
    const ast = hb.parse(source);
    new StrictArguments(rawAllowed).accept(ast);
    // compile() is lazy; precompiling now reports compiler errors at load time instead of at the first render.
    hb.precompile(ast, options);
    template = hb.compile(ast, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InvalidSourceError(`${file}: ${shiftLineNumbers(message, lineOffset)}`, file, { cause: error });
  }
  return (context, runtimeOptions) => {
    try {
      return template(context, runtimeOptions);
    } catch (error) {
      if (error !== null && typeof error === 'object' && !origins.has(error)) origins.set(error, { file, lineOffset });
      throw error;
    }
  };
}

type StrictPath = hbs.AST.PathExpression & { strict?: boolean };
type Call = { path?: hbs.AST.Node; params: hbs.AST.Expression[]; hash?: hbs.AST.Hash };

/**
 * Handlebars' strict mode checks only `{{name}}` and the last step of helper arguments is let through,
 * so `{{money total currency}}` with no `total` would format undefined. This marks helper, block and
 * partial arguments strict as well; `#if`/`#unless` arguments stay lenient because testing for absence is their job.
 */
class StrictArguments extends Handlebars.Visitor {
  constructor(private readonly rawAllowed: ReadonlySet<string>) {
    super();
  }

  override MustacheStatement(node: hbs.AST.MustacheStatement): void {
    const raw = !node.escaped && node.path.type === 'PathExpression' ? (node.path as hbs.AST.PathExpression).original : null;
    if (!node.escaped && (raw === null || !this.rawAllowed.has(raw))) {
      const what = raw ?? 'an expression';
      // Ends in " - line:column" so shiftLineNumbers maps it to the file's line.
      throw new Error(`{{{${what}}}} writes ${what} unescaped; use {{${what}}} so its text cannot become HTML - ${node.loc.start.line}:${node.loc.start.column}`);
    }
    markArguments(node);
    super.MustacheStatement(node);
  }

  override BlockStatement(node: hbs.AST.BlockStatement): void {
    markArguments(node);
    super.BlockStatement(node);
  }

  override SubExpression(node: hbs.AST.SubExpression): void {
    markArguments(node);
    super.SubExpression(node);
  }

  override PartialStatement(node: hbs.AST.PartialStatement): void {
    markArguments(node);
    super.PartialStatement(node);
  }

  override PartialBlockStatement(node: hbs.AST.PartialBlockStatement): void {
    markArguments(node);
    super.PartialBlockStatement(node);
  }
}

function markArguments(call: Call): void {
  const helper = call.path?.type === 'PathExpression' ? (call.path as hbs.AST.PathExpression).original : undefined;
  if (helper === 'if' || helper === 'unless') return;
  const values = [...call.params, ...(call.hash?.pairs.map((pair) => pair.value) ?? [])];
  for (const value of values) if (value.type === 'PathExpression') (value as StrictPath).strict = true;
}
