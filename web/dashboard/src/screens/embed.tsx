import {
  Alert,
  Anchor,
  Button,
  Code,
  CopyButton,
  Group,
  NumberInput,
  Paper,
  Select,
  Stack,
  TagsInput,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { rememberedPublicKeys } from '../api/agent-api.ts';
import type { CreatedKey } from '../api/types.ts';
import { PageFrame, QueryState } from '../components/page.tsx';
import { useI18n } from '../i18n/index.tsx';
import { linkProps } from '../router.tsx';
import { useWorkspace } from '../session.tsx';
import { useAgents } from './agents.tsx';
import { ShowKeyOnce, useCreateKey, useKeys } from './keys.tsx';
import { ErrorText } from '../components/errors.tsx';

function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** The `<script>` tag a site owner pastes into their pages. */
export function snippet(o: {
  origin: string;
  agentId: string;
  publicKey: string;
  title?: string;
  idleWarning?: number | '';
  idleFinal?: number | '';
}): string {
  const attrs = [
    `src="${o.origin}/widget.js"`,
    `data-agent-id="${o.agentId}"`,
    `data-public-key="${escapeAttr(o.publicKey)}"`,
    ...(o.title ? [`data-title="${escapeAttr(o.title)}"`] : []),
    ...(o.idleWarning !== undefined && o.idleWarning !== ''
      ? [`data-idle-warning-seconds="${o.idleWarning}"`]
      : []),
    ...(o.idleFinal !== undefined && o.idleFinal !== '' ? [`data-idle-final-seconds="${o.idleFinal}"`] : []),
    'async',
  ];
  return `<script\n  ${attrs.join('\n  ')}\n></script>`;
}

export function EmbedScreen() {
  const { t } = useI18n();
  const { workspaceId } = useWorkspace();
  const agents = useAgents();
  const keys = useKeys();
  const create = useCreateKey();
  const [agentId, setAgentId] = useState<string | null>(null);
  const [pasted, setPasted] = useState('');
  const [picked, setPicked] = useState<string | null>(null);
  const [origins, setOrigins] = useState<string[]>([]);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [title, setTitle] = useState('');
  const [idleWarning, setIdleWarning] = useState<number | ''>(300);
  const [idleFinal, setIdleFinal] = useState<number | ''>(300);

  const activeAgents = (agents.data ?? []).filter((a) => a.status === 'active');
  const agent = activeAgents.find((a) => a.id === agentId) ?? activeAgents[0];
  // only keys the server still has, not revoked, that may start chats with this agent
  const byId = new Map((keys.data ?? []).map((k) => [k.id, k]));
  const remembered = rememberedPublicKeys(workspaceId).filter((k) => {
    const server = byId.get(k.id);
    return (
      server?.type === 'public' &&
      !server.revoked_at &&
      !!agent &&
      (server.agent_ids === null || server.agent_ids.includes(agent.id))
    );
  });
  const rememberedKey = remembered.find((k) => k.id === picked) ?? remembered[0];
  const publicKey = pasted.trim() || rememberedKey?.key || '';
  const code =
    agent && publicKey
      ? snippet({
          origin: window.location.origin,
          agentId: agent.id,
          publicKey,
          title: title.trim() || undefined,
          idleWarning,
          idleFinal,
        })
      : null;

  return (
    <PageFrame title={t('embed.title')}>
      <Text size="sm" c="dimmed" maw={760}>
        {t('embed.help')}
      </Text>
      <QueryState isPending={agents.isPending || keys.isPending} error={agents.error ?? keys.error} />
      {agents.data && activeAgents.length === 0 && (
        <Alert color="yellow">
          {t('embed.noAgent')} <Anchor {...linkProps('/agents/new')}>{t('agents.new')}</Anchor>
        </Alert>
      )}
      <Paper withBorder p="md" maw={820}>
        <Stack>
          <Title order={2} size="h4">
            {t('embed.step1')}
          </Title>
          <Select
            label={t('inbox.agent')}
            data={activeAgents.map((a) => ({ value: a.id, label: a.name }))}
            value={agent?.id ?? null}
            onChange={setAgentId}
            allowDeselect={false}
          />
          <TextInput
            label={t('embed.widgetTitle')}
            description={t('embed.widgetTitleHelp')}
            placeholder={agent?.name}
            value={title}
            onChange={(e) => setTitle(e.currentTarget.value)}
          />
          <Group grow>
            <NumberInput
              label={t('embed.idleWarning')}
              description={t('embed.zeroOff')}
              min={0}
              allowDecimal={false}
              value={idleWarning}
              onChange={(v) => setIdleWarning(v === '' ? '' : Number(v))}
            />
            <NumberInput
              label={t('embed.idleFinal')}
              description={t('embed.zeroOff')}
              min={0}
              allowDecimal={false}
              value={idleFinal}
              onChange={(v) => setIdleFinal(v === '' ? '' : Number(v))}
            />
          </Group>
        </Stack>
      </Paper>
      <Paper withBorder p="md" maw={820}>
        <Stack>
          <Title order={2} size="h4">
            {t('embed.step2')}
          </Title>
          {remembered.length > 0 && (
            <Select
              label={t('embed.rememberedKey')}
              data={remembered.map((k) => ({ value: k.id, label: `${k.name} (${k.key.slice(0, 12)}…)` }))}
              value={rememberedKey?.id ?? null}
              onChange={setPicked}
              allowDeselect={false}
            />
          )}
          {keys.data && remembered.length === 0 && rememberedPublicKeys(workspaceId).length > 0 && (
            <Text size="sm" data-testid="no-key-for-agent">
              {t('embed.noKeyForAgent')}
            </Text>
          )}
          <Text size="sm" c="dimmed">
            {remembered.length > 0 ? t('embed.orCreate') : t('embed.createHelp')}
          </Text>
          <Group align="flex-end">
            <TagsInput
              label={t('keys.origins')}
              description={t('keys.originsHelp')}
              placeholder="https://www.example.com"
              value={origins}
              onChange={setOrigins}
              splitChars={[',', ' ']}
              style={{ flex: 1 }}
            />
            <Button
              variant="light"
              loading={create.isPending}
              onClick={() =>
                create.mutate(
                  {
                    type: 'public',
                    name: `Widget${agent ? ` · ${agent.name}` : ''}`,
                    allowed_origins: origins.length ? origins : null,
                    agent_ids: agent ? [agent.id] : null,
                  },
                  {
                    onSuccess: (k) => {
                      setPicked(k.id);
                      setPasted('');
                      setCreated(k);
                    },
                  },
                )
              }
            >
              {t('embed.createKey')}
            </Button>
          </Group>
          {create.error && (
            <Alert color="red" role="alert">
              <ErrorText error={create.error} />
            </Alert>
          )}
          <TextInput
            label={t('embed.pasteKey')}
            placeholder="papo_pk_…"
            value={pasted}
            onChange={(e) => setPasted(e.currentTarget.value)}
          />
        </Stack>
      </Paper>
      <Paper withBorder p="md" maw={820}>
        <Stack>
          <Title order={2} size="h4">
            {t('embed.step3')}
          </Title>
          {code ? (
            <>
              <Code block data-testid="embed-snippet">
                {code}
              </Code>
              <Group>
                <CopyButton value={code}>
                  {({ copied, copy }) => (
                    <Button onClick={copy}>{copied ? t('common.copied') : t('embed.copy')}</Button>
                  )}
                </CopyButton>
              </Group>
              <Text size="sm" c="dimmed">
                {t('embed.after')}
              </Text>
            </>
          ) : (
            <Text size="sm" c="dimmed">
              {t('embed.needKey')}
            </Text>
          )}
        </Stack>
      </Paper>
      <ShowKeyOnce created={created} onClose={() => setCreated(null)} />
    </PageFrame>
  );
}
