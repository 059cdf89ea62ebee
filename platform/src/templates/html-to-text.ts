const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '©', reg: '®', hellip: '…', mdash: '—', ndash: '–' };

/**
 * The plain-text alternative of an e-mail: tags gone, whitespace collapsed,
 * line breaks kept where the HTML ends a line (br, p, div, tr, h1–h6, li, table).
 */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(head|style|script|title)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/[ \t\r\n\f\v]+/g, ' ')
    .replace(/<a\b[^>]*?\bhref\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a\s*>/gi, (_all, _quote, href: string, label: string) => withLink(label, href))
    .replace(/<br\b[^>]*>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<\/(p|div|tr|h[1-6]|li|table|ul|ol)\s*>/gi, '\n')
    .replace(/<\/(td|th)\s*>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, decodeEntity);
  return text
    .split('\n')
    .map((line) => line.replace(/ {2,}/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// Text clients cannot follow a link, so its target is shown after the label unless the label already is the URL.
function withLink(label: string, href: string): string {
  // Both stay entity-encoded here; the final pass of htmlToText decodes them once.
  const shown = label.replace(/<[^>]*>/g, '').trim();
  const target = href.trim();
  if (!/^(https?:|mailto:)/i.test(target) || shown === target || shown === target.replace(/^mailto:/i, '')) return label;
  return `${label} (${target.replace(/^mailto:/i, '')})`;
}

function decodeEntity(entity: string, body?: string): string {
  if (body === undefined) return entity;
  if (body[0] === '#') {
    const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  }
  return namedEntities[body.toLowerCase()] ?? entity;
}
