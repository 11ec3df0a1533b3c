import { Alert, Badge, Box, Button, Group, Paper, ScrollArea, Stack, Text, Textarea } from '@mantine/core';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { PAPO_STREAM_IDLE_MS, readSse } from '../../../shared/sse.ts';
import { agentFetch } from '../api/agent-api.ts';
import { ApiError } from '../api/client.ts';
import type { Agent, Message, Usage } from '../api/types.ts';
import { ErrorText } from '../components/errors.tsx';
import { Markdown } from '../components/markdown.tsx';
import { fmtDecimal, fmtInt, fmtUsd } from '../format.ts';
import { useI18n } from '../i18n/index.tsx';
import { useWorkspace } from '../session.tsx';

interface Turn {
  key: string;
  role: 'user' | 'assistant';
  text: string;
  failed?: boolean;
  /** stored as `incomplete`: cut at the output-token limit */
  incomplete?: boolean;
  stats?: {
    usage: Usage;
    cost: number | null;
    model: string;
    durationMs: number;
    firstTokenMs: number | null;
  };
}

/** Where a session came from, for whoever reads its metadata; `is_test` is what hides it in the inbox. */
export const PLAYGROUND_METADATA = { papo_playground: 'true' } as const;

/**
 * Chats with the agent through the real Agent API stream (A6 + A11), exactly as an integration
 * would, and shows each reply's tokens, cost and latency.
 */
export function Playground({ agent }: { agent: Agent }) {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const [sessionId, setSessionId] = useState<string | null>(null);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [input, setInput] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const viewport = useRef<HTMLDivElement>(null);
  const inFlight = useRef<AbortController | null>(null);

  // leaving the agent's screen stops reading the stream (the server still finishes the reply)
  useEffect(() => () => inFlight.current?.abort(), []);

  useEffect(() => {
    viewport.current?.scrollTo({ top: viewport.current.scrollHeight });
  }, [turns]);

  const update = (key: string, fn: (t: Turn) => Turn) =>
    setTurns((all) => all.map((x) => (x.key === key ? fn(x) : x)));

  const send = async () => {
    const text = input.trim();
    if (!text || busy) return;
    const controller = new AbortController();
    inFlight.current = controller;
    const { signal } = controller;
    setBusy(true);
    setError(null);
    setInput('');
    const replyKey = `r-${Date.now()}`;
    setTurns((all) => [
      ...all,
      { key: `u-${Date.now()}`, role: 'user', text },
      { key: replyKey, role: 'assistant', text: '' },
    ]);
    let ended = false;
    try {
      let sid = sessionId;
      if (!sid) {
        const res = await agentFetch(workspaceId, `/v1/agents/${agent.id}/sessions`, {
          method: 'POST',
          body: {
            is_test: true,
            metadata: PLAYGROUND_METADATA,
            context: { source: 'dashboard playground' },
          },
          signal,
        });
        sid = ((await res.json()) as { id: string }).id;
        if (signal.aborted) return;
        setSessionId(sid);
      }
      const started = performance.now();
      let firstTokenMs: number | null = null;
      const res = await agentFetch(workspaceId, `/v1/agents/sessions/${sid}/messages/stream`, {
        method: 'POST',
        body: { content: text },
        headers: { Accept: 'text/event-stream' },
        signal,
      });
      await readSse(
        res.body!,
        (e) => {
          const data = JSON.parse(e.data) as Record<string, unknown>;
          if (e.event === 'agent_message.delta') {
            firstTokenMs ??= Math.round(performance.now() - started);
            update(replyKey, (x) => ({ ...x, text: x.text + String(data['delta'] ?? '') }));
          } else if (e.event === 'agent_message.completed') {
            const m = data['message'] as Message;
            ended = true;
            update(replyKey, (x) => ({
              ...x,
              text: m.content.map((b) => b.text ?? '').join('\n\n'),
              incomplete: m.status === 'incomplete',
              stats: {
                usage: data['usage'] as Usage,
                cost: data['cost_usd'] as number | null,
                model: String(data['model']),
                durationMs: Number(data['duration_ms']),
                firstTokenMs,
              },
            }));
          } else if (e.event === 'error') {
            const err = data['error'] as { code?: string; message?: string } | undefined;
            ended = true;
            update(replyKey, (x) => ({ ...x, failed: true }));
            setError(new ApiError(0, err?.code ?? 'internal_error', err?.message ?? ''));
          }
        },
        // a half-open connection never ends: treated like a dropped one
        { idleMs: PAPO_STREAM_IDLE_MS },
      );
      // the body ended with neither a reply nor an error: a dropped connection or proxy timeout
      if (!ended) throw new ApiError(0, 'stream_interrupted', '');
    } catch (err) {
      if (signal.aborted) return;
      update(replyKey, (x) => ({ ...x, failed: true }));
      // a body that fails mid-read (not an ApiError) is a connection lost during the reply
      setError(err instanceof ApiError ? err : new ApiError(0, 'stream_interrupted', (err as Error).message));
    } finally {
      if (inFlight.current === controller) {
        inFlight.current = null;
        setBusy(false);
      }
    }
  };

  /** Starts over; the test session is closed (best-effort) rather than left to expire. */
  const reset = () => {
    inFlight.current?.abort();
    inFlight.current = null;
    setBusy(false);
    if (sessionId)
      agentFetch(workspaceId, `/v1/agents/sessions/${sessionId}/terminate`, {
        method: 'POST',
        body: { reason: 'playground_reset' },
      }).catch(() => undefined);
    setSessionId(null);
    setTurns([]);
    setError(null);
  };

  return (
    <Paper withBorder p="md" maw={820}>
      <Stack gap="sm">
        <Group justify="space-between">
          <Text size="sm" c="dimmed">
            {t('playground.help')}
          </Text>
          <Button variant="default" size="xs" disabled={turns.length === 0} onClick={reset}>
            {t('playground.reset')}
          </Button>
        </Group>
        <ScrollArea h={420} viewportRef={viewport} type="auto" bg="gray.0" p="sm" style={{ borderRadius: 8 }}>
          <Stack
            gap="sm"
            role="log"
            aria-live="polite"
            // one announcement of the finished reply, not one per streamed word
            aria-busy={busy}
            aria-label={t('playground.transcript')}
          >
            {agent.greeting && (
              <Bubble role="assistant">
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                  {agent.greeting}
                </Text>
                <Text size="xs" c="dimmed">
                  {t('playground.greeting')}
                </Text>
              </Bubble>
            )}
            {turns.map((x) => (
              <Bubble key={x.key} role={x.role} failed={x.failed}>
                {x.role === 'assistant' && x.text ? (
                  <Markdown text={x.text} />
                ) : (
                  <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                    {x.text || (x.role === 'assistant' && !x.failed ? '…' : '')}
                  </Text>
                )}
                {x.incomplete && (
                  <Badge size="xs" color="#a13d06" mt={4}>
                    {t('messageStatus.incomplete')}
                  </Badge>
                )}
                {x.failed && x.role === 'assistant' && (
                  <Badge size="xs" color="#b02a2a" mt={4}>
                    {t('messageStatus.failed')}
                  </Badge>
                )}
                {x.stats && (
                  <Text size="xs" c="dimmed" mt={4} data-testid="reply-stats">
                    {t('playground.stats', {
                      input: fmtInt(x.stats.usage.input_tokens, lang),
                      output: fmtInt(x.stats.usage.output_tokens, lang),
                      cost: fmtUsd(x.stats.cost, lang),
                      seconds: fmtDecimal(x.stats.durationMs / 1000, lang, 2, true),
                      first: x.stats.firstTokenMs === null ? '—' : fmtInt(x.stats.firstTokenMs, lang),
                    })}{' '}
                    · {x.stats.model}
                  </Text>
                )}
              </Bubble>
            ))}
          </Stack>
        </ScrollArea>
        {error !== null && (
          <Alert color="red" role="alert">
            <ErrorText error={error} />
          </Alert>
        )}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void send();
          }}
        >
          <Group align="flex-end" wrap="nowrap">
            <Textarea
              label={t('playground.message')}
              placeholder={t('playground.placeholder')}
              autosize
              minRows={1}
              maxRows={6}
              style={{ flex: 1 }}
              value={input}
              onChange={(e) => setInput(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
                  e.preventDefault();
                  void send();
                }
              }}
            />
            <Button type="submit" loading={busy}>
              {t('playground.send')}
            </Button>
          </Group>
        </form>
      </Stack>
    </Paper>
  );
}

function Bubble({
  role,
  failed,
  children,
}: {
  role: 'user' | 'assistant';
  failed?: boolean;
  children: ReactNode;
}) {
  const user = role === 'user';
  return (
    <Box
      style={{
        alignSelf: user ? 'flex-end' : 'flex-start',
        maxWidth: '85%',
        background: user ? 'var(--mantine-color-blue-8)' : 'white',
        color: user ? 'white' : undefined,
        border: `1px solid ${failed ? 'var(--mantine-color-red-7)' : 'var(--mantine-color-gray-3)'}`,
        borderRadius: 12,
        padding: '8px 12px',
      }}
      data-role={role}
      data-failed={failed ? 'true' : undefined}
    >
      {children}
    </Box>
  );
}
