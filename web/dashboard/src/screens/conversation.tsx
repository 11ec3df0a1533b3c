import { Anchor, Badge, Box, Code, Grid, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { agentFetch } from '../api/agent-api.ts';
import { api, ws } from '../api/client.ts';
import type { AgentFile, ConversationDetail, Message } from '../api/types.ts';
import { ConversationStatusBadge } from '../components/badges.tsx';
import { ErrorText } from '../components/errors.tsx';
import { Markdown, plainText } from '../components/markdown.tsx';
import { PageFrame, QueryState } from '../components/page.tsx';
import { fmtBytes, fmtDateTime, fmtInt, fmtUsd } from '../format.ts';
import { useI18n, type MessageKey, type T } from '../i18n/index.tsx';
import { linkProps } from '../router.tsx';
import { useWorkspace } from '../session.tsx';
import { useAgents } from './agents.tsx';

/** Papo's own close reasons in words; a reason an integration sent (A9/P4) is shown as sent. */
const CLOSE_REASONS: Record<string, MessageKey> = {
  inactivity: 'closeReason.inactivity',
  playground_reset: 'closeReason.playground_reset',
};
function closeReason(reason: string, t: T): string {
  const key = CLOSE_REASONS[reason];
  return key ? t(key) : reason;
}

export function ConversationScreen({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const agents = useAgents();
  const detail = useQuery({
    queryKey: ['conversation', workspaceId, id],
    queryFn: () => api<ConversationDetail>(ws(workspaceId, `/conversations/${id}`)),
    // live while the conversation is active
    refetchInterval: (q) => (q.state.data?.status === 'active' ? 3_000 : false),
  });
  if (!detail.data) return <QueryState isPending={detail.isPending} error={detail.error} />;
  const c = detail.data;
  const agentName = agents.data?.find((a) => a.id === c.agent_id)?.name ?? c.agent_id;
  const files = new Map(c.files.map((f) => [f.id, f]));
  return (
    <PageFrame
      title={plainText(c.title) || t('inbox.untitled')}
      actions={
        <Group gap="xs">
          <ConversationStatusBadge status={c.status} />
          {c.is_test && <Badge variant="outline">{t('inbox.test')}</Badge>}
          {c.status === 'active' && (
            <Badge variant="dot" color="#1e6b34">
              {t('conversation.live')}
            </Badge>
          )}
        </Group>
      }
    >
      <Anchor {...linkProps('/conversations')} size="sm">
        ← {t('conversation.back')}
      </Anchor>
      <Grid>
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Paper withBorder p="md">
            <Title order={2} size="h4" mb="sm">
              {t('conversation.transcript')}
            </Title>
            <Stack gap="sm">
              {c.messages.length === 0 && <Text c="dimmed">{t('conversation.noMessages')}</Text>}
              {c.messages.map((m) => (
                <MessageRow key={m.id} m={m} files={files} />
              ))}
            </Stack>
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Stack gap="md">
            <Paper withBorder p="md">
              <Title order={2} size="h4" mb="sm">
                {t('conversation.details')}
              </Title>
              <SimpleGrid cols={2} spacing="xs" verticalSpacing={4}>
                <Text size="sm" c="dimmed">
                  {t('inbox.agent')}
                </Text>
                <Anchor size="sm" {...linkProps(`/agents/${c.agent_id}`)}>
                  {agentName}
                </Anchor>
                <Text size="sm" c="dimmed">
                  {t('conversation.channel')}
                </Text>
                <Text size="sm">
                  {t(`channel.${c.kind}`)} ({c.channel})
                </Text>
                <Text size="sm" c="dimmed">
                  {t('inbox.started')}
                </Text>
                <Text size="sm">{fmtDateTime(c.created_at, lang)}</Text>
                <Text size="sm" c="dimmed">
                  {c.status === 'active' ? t('conversation.expires') : t('conversation.closedAt')}
                </Text>
                <Text size="sm">
                  {fmtDateTime(c.status === 'active' ? c.expires_at : (c.closed_at ?? c.expires_at), lang)}
                </Text>
                {c.close_reason && (
                  <>
                    <Text size="sm" c="dimmed">
                      {t('conversation.reason')}
                    </Text>
                    <Text size="sm">{closeReason(c.close_reason, t)}</Text>
                  </>
                )}
                <Text size="sm" c="dimmed">
                  ID
                </Text>
                <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {c.id}
                </Text>
              </SimpleGrid>
            </Paper>
            <Paper withBorder p="md">
              <Title order={2} size="h4" mb="sm">
                {t('conversation.usage')}
              </Title>
              <Text size="sm">
                {t('conversation.usageLine', {
                  input: fmtInt(c.usage.input_tokens, lang),
                  output: fmtInt(c.usage.output_tokens, lang),
                  cached: fmtInt(c.usage.cached_tokens, lang),
                })}
              </Text>
              <Text size="sm" fw={600}>
                {fmtUsd(c.usage.cost_usd, lang)}
              </Text>
            </Paper>
            <Paper withBorder p="md">
              <Title order={2} size="h4" mb="sm">
                {t('conversation.feedback')}
              </Title>
              {c.feedback ? (
                <Stack gap={4}>
                  <Text size="sm">
                    <Text span fw={700} size="lg">
                      {c.feedback.score}
                    </Text>{' '}
                    / 10 ·{' '}
                    {t(
                      c.feedback.score >= 9
                        ? 'nps.promoter'
                        : c.feedback.score >= 7
                          ? 'nps.passive'
                          : 'nps.detractor',
                    )}
                  </Text>
                  {c.feedback.comment && <Text size="sm">“{c.feedback.comment}”</Text>}
                  <Text size="xs" c="dimmed">
                    {fmtDateTime(c.feedback.submitted_at, lang)}
                  </Text>
                </Stack>
              ) : (
                <Text size="sm" c="dimmed">
                  {t('conversation.noFeedback')}
                </Text>
              )}
            </Paper>
            <Paper withBorder p="md">
              <Title order={2} size="h4" mb="sm">
                {t('conversation.files')}
              </Title>
              {c.files.length === 0 ? (
                <Text size="sm" c="dimmed">
                  {t('conversation.noFiles')}
                </Text>
              ) : (
                <Stack gap={4}>
                  {c.files.map((f) => (
                    <FileLink key={f.id} file={f} />
                  ))}
                </Stack>
              )}
            </Paper>
            {(Object.keys(c.user_data).length > 0 ||
              Object.keys(c.metadata).length > 0 ||
              Object.keys(c.context).length > 0) && (
              <Paper withBorder p="md">
                <Title order={2} size="h4" mb="sm">
                  {t('conversation.data')}
                </Title>
                {(['user_data', 'context', 'metadata'] as const).map((k) =>
                  Object.keys(c[k]).length > 0 ? (
                    <Box key={k} mb="xs">
                      <Text size="xs" c="dimmed">
                        {k}
                      </Text>
                      <Code block>{JSON.stringify(c[k], null, 2)}</Code>
                    </Box>
                  ) : null,
                )}
              </Paper>
            )}
          </Stack>
        </Grid.Col>
      </Grid>
    </PageFrame>
  );
}

function FileLink({ file }: { file: AgentFile }) {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const [error, setError] = useState<unknown>(null);
  return (
    <Group gap="xs" wrap="nowrap">
      <Anchor
        component="button"
        type="button"
        size="sm"
        onClick={() => {
          setError(null);
          agentFetch(workspaceId, `/v1/agents/files/${file.id}/content`)
            .then((r) => r.blob())
            .then((blob) => {
              const a = document.createElement('a');
              a.href = URL.createObjectURL(blob);
              a.download = file.name;
              a.click();
              setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
            })
            .catch((err: unknown) => setError(err));
        }}
        aria-label={`${t('conversation.download')} ${file.name}`}
      >
        📎 {file.name}
      </Anchor>
      <Text size="xs" c="dimmed">
        {file.mime_type} · {fmtBytes(file.size, lang)}
      </Text>
      {error !== null && (
        <Text size="xs" c="red.8" component="div" role="alert">
          <ErrorText error={error} />
        </Text>
      )}
    </Group>
  );
}

function MessageRow({ m, files }: { m: Message; files: Map<string, AgentFile> }) {
  const { t, lang } = useI18n();
  const internal = m.role === 'system' || m.role === 'tool';
  const color = m.role === 'user' ? 'blue.0' : internal ? 'yellow.0' : 'gray.0';
  return (
    <Paper p="sm" bg={color} withBorder data-role={m.role}>
      <Group justify="space-between" mb={4}>
        <Group gap="xs">
          <Text size="xs" fw={700} tt="uppercase">
            {t(`role.${m.role}`)}
          </Text>
          {m.status !== 'completed' && (
            <Badge size="xs" color={m.status === 'failed' ? '#b02a2a' : '#a13d06'}>
              {t(`messageStatus.${m.status}`)}
            </Badge>
          )}
        </Group>
        <Text size="xs" c="dimmed">
          {fmtDateTime(m.created_at, lang)}
        </Text>
      </Group>
      {m.content.map((b, i) => {
        if (b.type === 'text') return <Markdown key={i} text={b.text ?? ''} />;
        if ((b.type === 'image' || b.type === 'file') && b.file_id) {
          const f = files.get(b.file_id);
          return f ? (
            <FileLink key={i} file={f} />
          ) : (
            <Text key={i} size="sm" c="dimmed">
              📎 {t('conversation.removedFile')}
            </Text>
          );
        }
        if (b.type === 'image' && b.url)
          return (
            <Anchor key={i} size="sm" href={b.url} target="_blank" rel="noopener noreferrer">
              🖼 {b.url}
            </Anchor>
          );
        return (
          <Code key={i} block>
            {JSON.stringify(b, null, 2)}
          </Code>
        );
      })}
      {m.usage && (
        <Text size="xs" c="dimmed" mt={4}>
          {t('conversation.messageUsage', {
            input: fmtInt(m.usage.input_tokens, lang),
            output: fmtInt(m.usage.output_tokens, lang),
            cost: fmtUsd(m.cost_usd, lang),
          })}
          {m.model ? ` · ${m.model}` : ''}
        </Text>
      )}
    </Paper>
  );
}
