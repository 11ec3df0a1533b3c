import { expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { createValidatorCompiler, issuesFromAjv, toIssuePath } from './validation.js';

it('writes issue paths in dotted/bracket form', () => {
  expect(toIssuePath('/content/0/text')).toBe('content[0].text');
  expect(toIssuePath('', 'content')).toBe('content');
  expect(toIssuePath('/a~1b/2', 'c')).toBe('a/b[2].c');
});

it('reports one issue for a bad value of a nullable field', () => {
  const compile = createValidatorCompiler([]);
  const validate = compile({
    schema: Type.Object({ reason: Type.Optional(Type.Union([Type.String({ maxLength: 3 }), Type.Null()])) }),
    httpPart: 'body',
    method: 'POST',
    url: '/x',
  }) as unknown as ((v: unknown) => boolean) & { errors: never[] };
  expect(validate({ reason: 'toolong' })).toBe(false);
  const issues = issuesFromAjv(validate.errors, 'body');
  expect(issues).toEqual([
    { location: 'body', path: 'reason', message: 'must NOT have more than 3 characters' },
  ]);
  expect(validate({ reason: 5 })).toBe(false);
  expect(issuesFromAjv(validate.errors, 'body')).toHaveLength(1);
});

it('does not coerce body types but coerces query strings', () => {
  const compile = createValidatorCompiler([]);
  const schema = Type.Object({ n: Type.Integer() });
  const body = compile({ schema, httpPart: 'body', method: 'POST', url: '/x' }) as unknown as (
    v: unknown,
  ) => boolean;
  const query = compile({ schema, httpPart: 'querystring', method: 'GET', url: '/x' }) as unknown as (
    v: unknown,
  ) => boolean;
  expect(body({ n: '5' })).toBe(false);
  expect(query({ n: '5' })).toBe(true);
});

it('names the allowed values of an enum once', () => {
  const compile = createValidatorCompiler([]);
  const validate = compile({
    schema: Type.Object({ role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]) }),
    httpPart: 'body',
    method: 'POST',
    url: '/x',
  }) as unknown as ((v: unknown) => boolean) & { errors: never[] };
  expect(validate({ role: 'system' })).toBe(false);
  expect(issuesFromAjv(validate.errors, 'body')).toEqual([
    { location: 'body', path: 'role', message: 'must be one of: "user", "assistant"' },
  ]);
});
