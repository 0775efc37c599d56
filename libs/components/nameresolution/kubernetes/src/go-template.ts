// The subset of Go's text/template the `nameresolution.kubernetes` template needs: literal text
// and actions that print a field path — {{.ID}}, {{ .Namespace }}, {{.Port}}, {{.Data.key}} —
// with Go's trim markers ({{- and -}} remove the whitespace beside them). Anything else (pipes,
// functions, conditionals, comments) is rejected at parse time, so a template either renders
// the same way as in Dapr or fails when the resolver starts, never at call time.

export type TemplatePart = { readonly text: string } | { readonly path: readonly string[] };

export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

const ACTION = /\{\{(-\s)?\s*([\s\S]*?)\s*(\s-)?\}\}/g;
const FIELD_PATH = /^(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;

export function parseGoTemplate(source: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  let trimNext = false;
  for (const m of source.matchAll(ACTION)) {
    let text = source.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1] !== undefined) text = text.replace(/\s+$/, '');
    if (text.includes('{{') || text.includes('}}')) throw new TemplateSyntaxError(`unbalanced braces in "${text}"`);
    if (text !== '') parts.push({ text });
    const action = m[2] ?? '';
    if (!FIELD_PATH.test(action)) {
      throw new TemplateSyntaxError(`unsupported action "{{${action}}}": only field references such as {{.ID}} are supported`);
    }
    parts.push({ path: action.slice(1).split('.') });
    trimNext = m[3] !== undefined;
    last = m.index + m[0].length;
  }
  let tail = source.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  if (tail.includes('{{') || tail.includes('}}')) throw new TemplateSyntaxError(`unbalanced braces in "${tail}"`);
  if (tail !== '') parts.push({ text: tail });
  return parts;
}

/** Renders parsed parts; `lookup` returns undefined for a path that does not exist. */
export function renderGoTemplate(parts: readonly TemplatePart[], lookup: (path: readonly string[]) => string | undefined): string {
  let out = '';
  for (const p of parts) {
    if ('text' in p) {
      out += p.text;
      continue;
    }
    const v = lookup(p.path);
    if (v === undefined) throw new TemplateSyntaxError(`no value for {{.${p.path.join('.')}}}`);
    out += v;
  }
  return out;
}
