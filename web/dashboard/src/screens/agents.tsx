import { Anchor, Button, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { fetchAll, ws } from '../api/client.ts';
import type { Agent } from '../api/types.ts';
import { AgentStatusBadge } from '../components/badges.tsx';
import { PageFrame, QueryState } from '../components/page.tsx';
import { fmtDateTime } from '../format.ts';
import { useI18n } from '../i18n/index.tsx';
import { linkProps } from '../router.tsx';
import { useWorkspace } from '../session.tsx';

/** Every agent of the workspace (pickers and names across the screens). */
export function useAgents() {
  const { workspaceId } = useWorkspace();
  return useQuery({
    queryKey: ['agents', workspaceId],
    queryFn: ({ signal }) => fetchAll<Agent>(ws(workspaceId, '/agents'), {}, signal),
  });
}

export function AgentsScreen() {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const agents = useQuery({
    queryKey: ['agents', workspaceId, debounced],
    queryFn: ({ signal }) => fetchAll<Agent>(ws(workspaceId, '/agents'), { search: debounced }, signal),
  });
  return (
    <PageFrame
      title={t('agents.title')}
      actions={
        <Button component="a" {...linkProps('/agents/new')}>
          {t('agents.new')}
        </Button>
      }
    >
      <TextInput
        label={t('common.search')}
        placeholder={t('agents.searchPlaceholder')}
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        maw={360}
      />
      <QueryState isPending={agents.isPending} error={agents.error} />
      {agents.data && agents.data.length === 0 && <Text c="dimmed">{t('agents.empty')}</Text>}
      {agents.data && agents.data.length > 0 && (
        <Table.ScrollContainer minWidth={640}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('agents.name')}</Table.Th>
                <Table.Th>{t('agents.model')}</Table.Th>
                <Table.Th>{t('agents.status')}</Table.Th>
                <Table.Th>{t('agents.version')}</Table.Th>
                <Table.Th>{t('common.updated')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {agents.data.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>
                    <Anchor {...linkProps(`/agents/${a.id}`)} fw={600}>
                      {a.name}
                    </Anchor>
                    {a.description && (
                      <Text size="xs" c="dimmed" lineClamp={1}>
                        {a.description}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {a.model}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <AgentStatusBadge status={a.status} />
                  </Table.Td>
                  <Table.Td>v{a.published_version}</Table.Td>
                  <Table.Td>{fmtDateTime(a.updated_at, lang)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </PageFrame>
  );
}
