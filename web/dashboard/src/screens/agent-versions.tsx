import { Badge, Group, Paper, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, ws } from '../api/client.ts';
import type { Agent, AgentVersion, Page } from '../api/types.ts';
import { STATUS_GREEN } from '../components/badges.tsx';
import { QueryState } from '../components/page.tsx';
import { fmtDateTime } from '../format.ts';
import { useI18n } from '../i18n/index.tsx';
import { useWorkspace } from '../session.tsx';

/**
 * Published versions. admin.md has no endpoint listing them yet; this asks
 * GET …/agents/{id}/versions and, when the server does not have it, shows the current one.
 */
export function Versions({ agent }: { agent: Agent }) {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const versions = useQuery({
    queryKey: ['versions', workspaceId, agent.id],
    queryFn: () =>
      api<Page<AgentVersion>>(ws(workspaceId, `/agents/${agent.id}/versions`), { query: { limit: 100 } }),
    retry: false,
  });
  if (versions.isPending) return <QueryState isPending error={null} />;
  const items: AgentVersion[] = versions.data?.items ?? [
    {
      version: agent.published_version,
      instructions: agent.instructions,
      model: agent.model,
      temperature: agent.temperature,
      max_output_tokens: agent.max_output_tokens,
      created_at: agent.updated_at,
    },
  ];
  return (
    <Stack>
      {!versions.data && (
        <Text size="sm" c="dimmed">
          {t('versions.onlyCurrent')}
        </Text>
      )}
      {items.map((v) => (
        <Paper key={v.version} withBorder p="md">
          <Group justify="space-between">
            <Group gap="xs">
              <Badge
                variant="filled"
                color={v.version === agent.published_version ? STATUS_GREEN : '#495057'}
              >
                v{v.version}
              </Badge>
              {v.version === agent.published_version && <Text size="sm">{t('versions.live')}</Text>}
            </Group>
            <Text size="sm" c="dimmed">
              {fmtDateTime(v.created_at, lang)}
            </Text>
          </Group>
          <Text size="sm" mt="xs">
            {t('agent.model')}: <code>{v.model}</code> · {t('agent.temperature')}: {v.temperature ?? '—'} ·{' '}
            {t('agent.maxOutputTokens')}: {v.max_output_tokens ?? '—'}
          </Text>
          <Text size="sm" mt="xs" style={{ whiteSpace: 'pre-wrap' }} lineClamp={6}>
            {v.instructions}
          </Text>
        </Paper>
      ))}
    </Stack>
  );
}
