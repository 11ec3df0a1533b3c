import { ValidationError } from '../../platform/errors.js';

/**
 * Agent errors with a domain meaning. Natively they are plain 422 validation errors (same body
 * as before); vendor surfaces recognise the class and answer their own code (Gennia 409/422).
 */
export class AgentNameTakenError extends ValidationError {
  constructor() {
    super([
      { location: 'body', path: 'name', message: 'another agent of this workspace already has this name' },
    ]);
  }
}

export class AgentLimitReachedError extends ValidationError {
  constructor(limit: number) {
    super([{ location: 'body', path: 'name', message: `this workspace is limited to ${limit} agents` }]);
  }
}

/** Publishing needs a model in the draft (agents created without one, e.g. through Gennia). */
export class DraftHasNoModelError extends ValidationError {
  constructor() {
    super([
      { location: 'body', path: 'model', message: 'the draft has no AI model; set one before publishing' },
    ]);
  }
}

/** The unique index on lower(name) settles concurrent creates and renames; map its violation. */
export async function withNameConflict<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err, 'agents_workspace_name_uq')) throw new AgentNameTakenError();
    throw err;
  }
}

export function isUniqueViolation(err: unknown, constraint: string): boolean {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const rec = e as { code?: string; constraint?: string; message?: string };
    if (rec.code === '23505' && (rec.constraint === constraint || rec.message?.includes(constraint)))
      return true;
  }
  return false;
}
