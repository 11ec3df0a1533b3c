import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DRIVER } from './harness.js';

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'papo-cli-'));
const env = { ...process.env, PAPO_DATA_DIR: dir, LOG_LEVEL: 'silent', DATABASE_URL: '' };
const papo = async (...args: string[]) => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env,
    timeout: 60_000,
  });
  return stdout;
};

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(TEST_DRIVER === 'postgres')('papo CLI', () => {
  it('migrates, creates a workspace, a key and an agent from YAML', async () => {
    expect(await papo('migrate')).toContain('migrations applied');
    const ws = JSON.parse(await papo('workspace', 'create', 'Acme')) as { id: string; name: string };
    expect(ws.name).toBe('Acme');
    const key = JSON.parse(
      await papo('key', 'create', '-w', ws.id, '-s', 'agent:run,admin', '-n', 'ops'),
    ) as {
      key: string;
      scopes: string[];
    };
    expect(key.key).toMatch(/^papo_sk_[A-Za-z0-9]{40}$/);
    expect(key.scopes).toEqual(['agent:run', 'admin']);
    const file = path.join(dir, 'agent.yaml');
    fs.writeFileSync(
      file,
      'name: Support\ninstructions: |\n  Help customers.\nhistory_limit: 12\noutput_format: whatsapp\n',
    );
    const agent = JSON.parse(await papo('agent', 'create', '-w', ws.id, '-f', file)) as Record<
      string,
      unknown
    >;
    expect(agent).toMatchObject({
      name: 'Support',
      instructions: 'Help customers.\n',
      history_limit: 12,
      output_format: 'whatsapp',
      published_version: 1,
    });
  }, 90_000); // four CLI processes (tsx) while the rest of the suite runs on two cores

  it('fails with a readable message and exit code 1', async () => {
    const err = (await papo(
      'agent',
      'create',
      '-w',
      '01a1fd41-0000-7000-8000-000000000000',
      '-f',
      '/nonexistent.yaml',
    ).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/^error: /);
    const bad = (await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate'], {
      env: { ...env, PORT: 'not-a-port' },
    }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('PORT');
  });
});
