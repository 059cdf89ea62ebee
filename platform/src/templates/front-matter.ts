import { InvalidSourceError } from './template-error';

export interface FrontMatter {
  /** Handlebars source of the subject line, rendered with the template's data. */
  subject?: string;
  /** Lines above the subject's own line, so errors in it can point at the file's line. */
  subjectLineOffset?: number;
  /** A layout name under layouts/, or 'none'. */
  layout?: string;
  /** `secret: true`: the whole e-mail is a secret (the outbox keeps only a redacted copy readable). */
  secret?: boolean;
}

export interface TemplateParts {
  frontMatter: FrontMatter;
  body: string;
  /** Lines removed above the body, so Handlebars' line numbers can be mapped back to the file. */
  bodyLineOffset: number;
}

const fence = /^---[ \t]*$/;
const entry = /^([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*)$/;
const layoutName = /^(none|[\w-]+(?:\/[\w-]+)*)$/;

/** Splits `---`-fenced `key: value` lines off the top of a template; anything unexpected is refused so typos surface. */
export function splitFrontMatter(source: string, filePath: string): TemplateParts {
  const text = source.replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/);
  if (!fence.test(lines[0] ?? '')) return { frontMatter: {}, body: text, bodyLineOffset: 0 };

  const close = lines.findIndex((line, index) => index > 0 && fence.test(line));
  if (close === -1) throw new InvalidSourceError(`${filePath}: front matter opened with --- on line 1 is never closed`, filePath);

  const frontMatter: FrontMatter = {};
  for (let index = 1; index < close; index += 1) {
    const line = lines[index].trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = entry.exec(line);
    if (!match) throw new InvalidSourceError(`${filePath}:${index + 1}: front matter line is not "key: value"`, filePath);
    const [, key, raw] = match;
    const value = unquote(raw.trim());
    if (key === 'subject' || key === 'layout') {
      if (frontMatter[key] !== undefined) throw new InvalidSourceError(`${filePath}:${index + 1}: "${key}" is set twice`, filePath);
      if (value === '') throw new InvalidSourceError(`${filePath}:${index + 1}: "${key}" is empty`, filePath);
    }
    if (key === 'subject') {
      frontMatter.subject = value;
      frontMatter.subjectLineOffset = index;
    } else if (key === 'layout') {
      if (!layoutName.test(value)) throw new InvalidSourceError(`${filePath}:${index + 1}: layout "${value}" is not a layout name`, filePath);
      frontMatter.layout = value;
    } else if (key === 'secret') {
      if (value !== 'true' && value !== 'false') throw new InvalidSourceError(`${filePath}:${index + 1}: "secret" is true or false, not "${value}"`, filePath);
      frontMatter.secret = value === 'true';
    } else {
      throw new InvalidSourceError(`${filePath}:${index + 1}: unknown front matter key "${key}" (allowed: subject, layout, secret)`, filePath);
    }
  }

  // Sliced from the original text so CRLF files keep their line endings in the body.
  const body = text.slice(offsetAfterLine(text, close));
  return { frontMatter, body, bodyLineOffset: close + 1 };
}

function offsetAfterLine(text: string, lineIndex: number): number {
  let offset = 0;
  for (let line = 0; line <= lineIndex; line += 1) {
    const newline = text.indexOf('\n', offset);
    if (newline === -1) return text.length;
    offset = newline + 1;
  }
  return offset;
}

function unquote(value: string): string {
  const quoted = value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]);
  return quoted ? value.slice(1, -1) : value;
}
