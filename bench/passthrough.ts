/**
 * The cost of one Node HTTP hop and nothing else: forwards a turn to the fake model (streaming,
 * as Papo does) and answers the collected text (POST /turn) or pipes the stream (POST /stream).
 * Stores nothing. BENCH_FAKE_URL is the model's base URL; prints its own URL.
 */
import http from 'node:http';

const upstream = `${process.env['BENCH_FAKE_URL']}/chat/completions`;
const upstreamBody = (content: string) =>
  JSON.stringify({ model: 'fake', stream: true, messages: [{ role: 'user', content }] });

// POST body {"content"?: string}: the user message to forward ("Hello" by default)
const server = http.createServer((req, res) => {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (raw += d));
  req.on('end', () => {
    const content = raw ? ((JSON.parse(raw) as { content?: string }).content ?? 'Hello') : 'Hello';
    void forward(req.url ?? '/', content, res).catch(() => res.destroy());
  });
});

async function forward(path: string, content: string, res: http.ServerResponse): Promise<void> {
  const up = await fetch(upstream, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: upstreamBody(content),
  });
  if (path === '/stream') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for await (const chunk of up.body!) res.write(chunk);
    res.end();
    return;
  }
  let text = '';
  for (const line of (await up.text()).split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const delta = (JSON.parse(line.slice(6)) as { choices: Array<{ delta?: { content?: string } }> })
      .choices[0]?.delta?.content;
    if (delta) text += delta;
  }
  const out = JSON.stringify({ text });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
  res.end(out);
}

server.listen(Number(process.env['BENCH_PASS_PORT'] ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as import('node:net').AddressInfo;
  process.stdout.write(`http://127.0.0.1:${port}\n`);
});
