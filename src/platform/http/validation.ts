import { Ajv, type ErrorObject } from 'ajv';
import formatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { Issue } from '../errors.js';

/**
 * Bodies are validated strictly (a string is not an integer); query strings and path params
 * are text on the wire, so they are coerced. One compiler, two Ajv instances.
 */
function makeAjv(coerceTypes: boolean | 'array'): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: true,
    strict: false,
    messages: true,
  });
  // ajv-formats is CommonJS: under NodeNext its default export arrives as the module object.
  const mod = formatsModule as unknown as { default?: (a: Ajv) => Ajv };
  const addFormats = mod.default ?? (formatsModule as unknown as (a: Ajv) => Ajv);
  addFormats(ajv);
  return ajv;
}

/** `shared` are the schemas routes reach by `$ref` (the same ones given to app.addSchema). */
export function createValidatorCompiler(
  shared: ReadonlyArray<{ $id?: string }>,
): FastifySchemaCompiler<object> {
  const bodyAjv = makeAjv(false);
  const textAjv = makeAjv('array');
  for (const s of shared) {
    bodyAjv.addSchema(s);
    textAjv.addSchema(s);
  }
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema);
}

const LOCATION: Record<string, Issue['location']> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** `/content/0/text` → `content[0].text` (the contract's dotted/bracket form). */
export function toIssuePath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (extra) parts.push(extra);
  let out = '';
  for (const raw of parts) {
    const p = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(p)) out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

export function issuesFromAjv(errors: ErrorObject[], context: string): Issue[] {
  const location = LOCATION[context] ?? 'body';
  const seen = new Set<string>();
  const issues: Issue[] = [];
  // Nullable fields are `anyOf [T, null]`: a bad value fails both branches plus the summary.
  // Report the real branch's complaint only, unless nothing else was said about that path.
  const specific = new Set(
    errors
      .filter((e) => !(e.keyword === 'type' && e.params['type'] === 'null') && e.keyword !== 'anyOf')
      .map((e) => e.instancePath),
  );
  // Enums are `anyOf` of constants: one "must be one of" per path instead of one error per value.
  const allowed = new Map<string, unknown[]>();
  for (const e of errors) {
    if (e.keyword === 'const')
      allowed.set(e.instancePath, [...(allowed.get(e.instancePath) ?? []), e.params['allowedValue']]);
  }
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    if (
      (e.keyword === 'anyOf' || (e.keyword === 'type' && e.params['type'] === 'null')) &&
      specific.has(e.instancePath)
    ) {
      continue;
    }
    const missing = e.keyword === 'required' ? String(e.params['missingProperty']) : undefined;
    const path = toIssuePath(e.instancePath, missing);
    const values = e.keyword === 'const' ? allowed.get(e.instancePath) : undefined;
    const message = missing
      ? 'is required'
      : values
        ? `must be one of: ${values.map((v) => JSON.stringify(v)).join(', ')}`
        : (e.message ?? 'is invalid');
    const k = `${path}|${message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    issues.push({ location, path, message });
  }
  return issues;
}
