import { v7 as uuidv7, validate, version } from 'uuid';

/** Every id Papo issues is a UUIDv7 (README §2.1): lowercase text that sorts in creation order. */
export function newId(): string {
  return uuidv7();
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Any canonical lowercase UUID (ids are compared as text, so case matters). */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value) && validate(value);
}

export function isUuidV7(value: string): boolean {
  return isUuid(value) && version(value) === 7;
}
