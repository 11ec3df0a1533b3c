import { Anchor, Badge, Group, Tabs } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, ws } from '../api/client.ts';
import type { Agent } from '../api/types.ts';
import { AgentStatusBadge } from '../components/badges.tsx';
import { PageFrame, QueryState } from '../components/page.tsx';
import { useI18n } from '../i18n/index.tsx';
import { linkProps } from '../router.tsx';
import { useWorkspace } from '../session.tsx';
import { Abilities } from './agent-abilities.tsx';
import { AgentForm, DEFAULTS, fromAgent } from './agent-form.tsx';
import { AgentKnowledge } from './agent-knowledge.tsx';
import { Versions } from './agent-versions.tsx';
import { Playground } from './playground.tsx';

export function AgentEditorScreen({ agentId }: { agentId: string | null }) {
  const { t } = useI18n();
  const { workspaceId } = useWorkspace();
  const agent = useQuery({
    queryKey: ['agent', workspaceId, agentId],
    queryFn: () => api<Agent>(ws(workspaceId, `/agents/${agentId}`)),
    enabled: agentId !== null,
  });
  if (agentId === null) {
    return (
      <PageFrame title={t('agent.newTitle')}>
        <AgentForm initial={DEFAULTS} agent={null} />
      </PageFrame>
    );
  }
  if (!agent.data) return <QueryState isPending={agent.isPending} error={agent.error} />;
  const a = agent.data;
  return (
    <PageFrame
      title={a.name}
      actions={
        <Group gap="xs">
          <AgentStatusBadge status={a.status} />
          <Badge variant="outline" color="dark">
            {t('agent.versionBadge', { n: a.published_version })}
          </Badge>
        </Group>
      }
    >
      <Anchor {...linkProps('/agents')} size="sm">
        ← {t('agent.back')}
      </Anchor>
      {/* the playground stays mounted (hidden) so another tab does not end its conversation */}
      <Tabs defaultValue="settings" keepMounted={false} keepMountedMode="display-none">
        <Tabs.List>
          <Tabs.Tab value="settings">{t('agent.tabSettings')}</Tabs.Tab>
          <Tabs.Tab value="knowledge">{t('agent.tabKnowledge')}</Tabs.Tab>
          <Tabs.Tab value="abilities">{t('agent.tabAbilities')}</Tabs.Tab>
          <Tabs.Tab value="playground">{t('agent.tabPlayground')}</Tabs.Tab>
          <Tabs.Tab value="versions">{t('agent.tabVersions')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="settings" pt="md">
          <AgentForm initial={fromAgent(a)} agent={a} />
        </Tabs.Panel>
        <Tabs.Panel value="knowledge" pt="md">
          <AgentKnowledge agent={a} />
        </Tabs.Panel>
        <Tabs.Panel value="abilities" pt="md">
          <Abilities agent={a} />
        </Tabs.Panel>
        <Tabs.Panel value="playground" pt="md" keepMounted>
          <Playground agent={a} />
        </Tabs.Panel>
        <Tabs.Panel value="versions" pt="md">
          <Versions agent={a} />
        </Tabs.Panel>
      </Tabs>
    </PageFrame>
  );
}
