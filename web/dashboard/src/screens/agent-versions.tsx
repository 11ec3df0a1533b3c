import { Alert, Badge, Button, Group, Paper, Stack, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, fetchAll, ws } from '../api/client.ts';
import type { Agent, AgentVersion } from '../api/types.ts';
import { STATUS_GREEN } from '../components/badges.tsx';
import { ConfirmModal } from '../components/confirm.tsx';
import { QueryState } from '../components/page.tsx';
import { fmtDateTime } from '../format.ts';
import { useI18n } from '../i18n/index.tsx';
import { useWorkspace } from '../session.tsx';

/** Published versions, newest first; any earlier one can be put live again (as a new version). */
export function Versions({ agent }: { agent: Agent }) {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const qc = useQueryClient();
  const [picked, setPicked] = useState<AgentVersion | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const versions = useQuery({
    queryKey: ['versions', workspaceId, agent.id],
    queryFn: ({ signal }) =>
      fetchAll<AgentVersion>(ws(workspaceId, `/agents/${agent.id}/versions`), {}, signal),
  });
  const restore = useMutation({
    mutationFn: (v: AgentVersion) =>
      api<Agent>(ws(workspaceId, `/agents/${agent.id}/versions/${v.version}/restore`), { method: 'POST' }),
    onSuccess: (a, v) => {
      qc.setQueryData(['agent', workspaceId, a.id], a);
      void qc.invalidateQueries({ queryKey: ['agents', workspaceId] });
      void qc.invalidateQueries({ queryKey: ['versions', workspaceId, a.id] });
      setPicked(null);
      setDone(t('versions.restored', { from: v.version, n: a.published_version }));
    },
  });
  if (!versions.data) return <QueryState isPending={versions.isPending} error={versions.error} />;
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {t('versions.help')}
      </Text>
      {done && (
        <Alert
          color="green"
          role="status"
          withCloseButton
          closeButtonLabel={t('common.close')}
          onClose={() => setDone(null)}
        >
          {done}
        </Alert>
      )}
      {versions.data.map((v) => {
        const live = v.version === agent.published_version;
        return (
          <Paper
            key={v.version}
            component="article"
            withBorder
            p="md"
            aria-label={t('versions.label', { n: v.version })}
          >
            <Group justify="space-between">
              <Group gap="xs">
                <Badge variant="filled" color={live ? STATUS_GREEN : '#495057'}>
                  v{v.version}
                </Badge>
                {live && <Text size="sm">{t('versions.live')}</Text>}
                {v.notes && (
                  <Text size="sm" c="dimmed">
                    · {v.notes}
                  </Text>
                )}
              </Group>
              <Group gap="sm">
                <Text size="sm" c="dimmed">
                  {fmtDateTime(v.created_at, lang)}
                </Text>
                {!live && (
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => {
                      restore.reset();
                      setPicked(v);
                    }}
                  >
                    {t('versions.restore', { n: v.version })}
                  </Button>
                )}
              </Group>
            </Group>
            <Text size="sm" mt="xs">
              {t('agent.model')}: <code>{v.model}</code> · {t('agent.temperature')}: {v.temperature ?? '—'} ·{' '}
              {t('agent.maxOutputTokens')}: {v.max_output_tokens ?? '—'}
            </Text>
            <Text size="sm" mt="xs" style={{ whiteSpace: 'pre-wrap' }} lineClamp={6}>
              {v.instructions}
            </Text>
          </Paper>
        );
      })}
      <ConfirmModal
        opened={picked !== null}
        title={t('versions.restoreTitle', { n: picked?.version ?? 0 })}
        text={t('versions.restoreConfirm', { n: picked?.version ?? 0 })}
        action={t('versions.restoreAction')}
        color="blue"
        pending={restore.isPending}
        error={restore.error}
        onConfirm={() => picked && restore.mutate(picked)}
        onClose={() => setPicked(null)}
      />
    </Stack>
  );
}
