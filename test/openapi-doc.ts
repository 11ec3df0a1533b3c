import { createTestApp } from './harness.js';

/** The OpenAPI document as the current code generates it (no server state involved). */
export async function generateOpenApi(): Promise<unknown> {
  const t = await createTestApp();
  try {
    return JSON.parse(JSON.stringify(t.app.swagger()));
  } finally {
    await t.close();
  }
}
