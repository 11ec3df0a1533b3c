import { Alert, Anchor, Button, Group, MultiSelect, Paper, Stack, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ws } from '../api/client.ts';
import type { Agent, AgentKnowledgeLinks } from '../api/types.ts';
import { STATUS_GREEN } from '../components/badges.tsx';
import { QueryState } from '../components/page.tsx';
import { useI18n } from '../i18n/index.tsx';
import { linkProps } from '../router.tsx';
import { useWorkspace } from '../session.tsx';
import { useKnowledgeBases } from './knowledge-bases.tsx';
import { ErrorText } from '../components/errors.tsx';

/** Which knowledge bases the agent searches: `PUT …/agents/{id}/knowledge-bases` replaces the list. */
export function AgentKnowledge({ agent }: { agent: Agent }) {
  const { t } = useI18n();
  const { workspaceId } = useWorkspace();
  const bases = useKnowledgeBases();
  const links = useQuery({
    queryKey: ['agent-kb', workspaceId, agent.id],
    queryFn: () => api<AgentKnowledgeLinks>(ws(workspaceId, `/agents/${agent.id}/knowledge-bases`)),
  });
  if (!links.data || !bases.data)
    return <QueryState isPending={links.isPending || bases.isPending} error={links.error ?? bases.error} />;
  if (bases.data.length === 0)
    return (
      <Text>
        {t('agentKnowledge.none')} <Anchor {...linkProps('/knowledge')}>{t('agentKnowledge.create')}</Anchor>
      </Text>
    );
  return (
    <LinksForm
      agent={agent}
      initial={links.data.knowledge_base_ids}
      options={bases.data.map((b) => ({ value: b.id, label: b.name }))}
    />
  );
}

function LinksForm({
  agent,
  initial,
  options,
}: {
  agent: Agent;
  initial: string[];
  options: Array<{ value: string; label: string }>;
}) {
  const { t } = useI18n();
  const { workspaceId } = useWorkspace();
  const qc = useQueryClient();
  const [ids, setIds] = useState(initial);
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: () =>
      api<AgentKnowledgeLinks>(ws(workspaceId, `/agents/${agent.id}/knowledge-bases`), {
        method: 'PUT',
        body: { knowledge_base_ids: ids },
      }),
    onSuccess: (l) => {
      setIds(l.knowledge_base_ids);
      setSaved(true);
      qc.setQueryData(['agent-kb', workspaceId, agent.id], l);
    },
  });
  return (
    <Paper withBorder p="md" maw={820}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          save.mutate();
        }}
      >
        <Stack>
          <MultiSelect
            label={t('agentKnowledge.label')}
            description={t('agentKnowledge.help')}
            placeholder={ids.length ? undefined : t('agentKnowledge.placeholder')}
            data={options}
            value={ids}
            onChange={(v) => {
              setIds(v);
              setSaved(false);
            }}
            searchable
            clearable
            hidePickedOptions
          />
          {save.error && (
            <Alert color="red" role="alert">
              <ErrorText error={save.error} />
            </Alert>
          )}
          <Group>
            <Button type="submit" loading={save.isPending}>
              {t('common.save')}
            </Button>
            <Text size="sm" c={STATUS_GREEN} role="status">
              {saved ? t('common.saved') : ''}
            </Text>
            <Anchor {...linkProps('/knowledge')} size="sm" ml="auto">
              {t('agentKnowledge.manage')}
            </Anchor>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
