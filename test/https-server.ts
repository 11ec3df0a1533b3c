import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

export interface TestHttpsServer {
  url: string;
  caFile: string;
  hits: string[];
  close(): Promise<void>;
}

/** An https server on 127.0.0.1 with a throwaway self-signed certificate (openssl). */
export async function startHttpsServer(
  routes: Record<string, (res: import('node:http').ServerResponse) => void>,
): Promise<TestHttpsServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'papo-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const hits: string[] = [];
  const server = https.createServer(
    { key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
    (req, res) => {
      hits.push(req.url ?? '');
      const route = routes[req.url ?? ''];
      if (route) route(res);
      else {
        res.statusCode = 404;
        res.end('not found');
      }
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: cert,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        fs.rmSync(dir, { recursive: true, force: true });
      }),
  };
}
