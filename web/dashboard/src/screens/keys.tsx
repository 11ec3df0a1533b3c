import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  CopyButton,
  Group,
  Modal,
  MultiSelect,
  SegmentedControl,
  Stack,
  Table,
  TagsInput,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { rememberPublicKey } from '../api/agent-api.ts';
import { api, fetchAll, ws } from '../api/client.ts';
import type { ApiKey, CreatedKey } from '../api/types.ts';
import { PageFrame, QueryState } from '../components/page.tsx';
import { fmtDateTime } from '../format.ts';
import { useI18n } from '../i18n/index.tsx';
import { useWorkspace } from '../session.tsx';
import { useAgents } from './agents.tsx';
import { ErrorText } from '../components/errors.tsx';

/** Every key of the workspace, revoked ones included. */
export function useKeys() {
  const { workspaceId } = useWorkspace();
  return useQuery({
    queryKey: ['keys', workspaceId],
    queryFn: ({ signal }) => fetchAll<ApiKey>(ws(workspaceId, '/api-keys'), {}, signal),
  });
}

export interface NewKeyInput {
  type: 'secret' | 'public';
  name: string;
  scopes?: string[];
  agent_ids?: string[] | null;
  allowed_origins?: string[] | null;
}

/** Creates a key; public ones are remembered in this browser for the Embed snippet. */
export function useCreateKey() {
  const { workspaceId } = useWorkspace();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: NewKeyInput) =>
      api<CreatedKey>(ws(workspaceId, '/api-keys'), { method: 'POST', body: input }),
    onSuccess: (k) => {
      if (k.type === 'public') rememberPublicKey(workspaceId, { id: k.id, name: k.name, key: k.key });
      void qc.invalidateQueries({ queryKey: ['keys', workspaceId] });
    },
  });
}

/** The plaintext of a new key, shown once with a copy button. */
export function ShowKeyOnce({ created, onClose }: { created: CreatedKey | null; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Modal
      closeButtonProps={{ 'aria-label': t('common.close') }}
      opened={created !== null}
      onClose={onClose}
      title={t('keys.createdTitle')}
      size="lg"
    >
      {created && (
        <Stack>
          <Alert color="yellow" role="alert">
            {t('keys.shownOnce')}
          </Alert>
          <Code block data-testid="new-key" style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
            {created.key}
          </Code>
          <Group justify="flex-end">
            <CopyButton value={created.key}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy}>
                  {copied ? t('common.copied') : t('common.copy')}
                </Button>
              )}
            </CopyButton>
            <Button onClick={onClose}>{t('keys.stored')}</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

export function KeysScreen() {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const qc = useQueryClient();
  const keys = useKeys();
  const agents = useAgents();
  const [createOpen, createModal] = useDisclosure(false);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);
  const revoke = useMutation({
    mutationFn: (k: ApiKey) => api<void>(ws(workspaceId, `/api-keys/${k.id}`), { method: 'DELETE' }),
    onSuccess: () => {
      setRevoking(null);
      void qc.invalidateQueries({ queryKey: ['keys', workspaceId] });
    },
  });
  const names = new Map((agents.data ?? []).map((a) => [a.id, a.name]));
  const rows = (keys.data ?? []).filter((k) => showRevoked || !k.revoked_at);

  return (
    <PageFrame title={t('keys.title')} actions={<Button onClick={createModal.open}>{t('keys.new')}</Button>}>
      <Text size="sm" c="dimmed" maw={760}>
        {t('keys.help')}
      </Text>
      <Checkbox
        label={t('keys.showRevoked')}
        checked={showRevoked}
        onChange={(e) => setShowRevoked(e.currentTarget.checked)}
      />
      <QueryState isPending={keys.isPending} error={keys.error} />
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={900}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('keys.name')}</Table.Th>
                <Table.Th>{t('keys.type')}</Table.Th>
                <Table.Th>{t('keys.prefix')}</Table.Th>
                <Table.Th>{t('keys.access')}</Table.Th>
                <Table.Th>{t('keys.created')}</Table.Th>
                <Table.Th>{t('keys.lastUsed')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('keys.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((k) => (
                <Table.Tr key={k.id} data-key-name={k.name}>
                  <Table.Td fw={600}>{k.name}</Table.Td>
                  <Table.Td>
                    <Badge
                      variant="filled"
                      color={k.type === 'secret' ? '#6b2c91' : '#0b6273'}
                      style={{ minWidth: 'max-content' }}
                    >
                      {t(`keys.${k.type}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Code>{k.prefix}…</Code>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">
                      {k.type === 'secret'
                        ? k.scopes.join(', ')
                        : k.allowed_origins?.length
                          ? k.allowed_origins.join(', ')
                          : t('keys.anyOrigin')}
                    </Text>
                    {k.agent_ids && (
                      <Text size="xs" c="dimmed">
                        {t('keys.onlyAgents', {
                          names: k.agent_ids.map((id) => names.get(id) ?? id.slice(0, 8)).join(', '),
                        })}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{fmtDateTime(k.created_at, lang)}</Table.Td>
                  <Table.Td>{fmtDateTime(k.last_used_at, lang)}</Table.Td>
                  <Table.Td>
                    {k.revoked_at ? (
                      <Badge color="#495057">{t('keys.revoked')}</Badge>
                    ) : (
                      <Button
                        size="xs"
                        color="red"
                        variant="light"
                        onClick={() => setRevoking(k)}
                        aria-label={`${t('keys.revoke')} ${k.name}`}
                      >
                        {t('keys.revoke')}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <CreateKeyModal
        opened={createOpen}
        onClose={createModal.close}
        onCreated={(k) => {
          createModal.close();
          setCreated(k);
        }}
      />
      <ShowKeyOnce created={created} onClose={() => setCreated(null)} />
      <Modal
        closeButtonProps={{ 'aria-label': t('common.close') }}
        opened={revoking !== null}
        onClose={() => setRevoking(null)}
        title={t('keys.revokeTitle')}
      >
        <Stack>
          <Text>{t('keys.revokeConfirm', { name: revoking?.name ?? '' })}</Text>
          {revoke.error && (
            <Alert color="red" role="alert">
              <ErrorText error={revoke.error} />
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>
              {t('common.cancel')}
            </Button>
            <Button
              color="red"
              loading={revoke.isPending}
              onClick={() => revoking && revoke.mutate(revoking)}
            >
              {t('keys.revoke')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </PageFrame>
  );
}

function CreateKeyModal({
  opened,
  onClose,
  onCreated,
}: {
  opened: boolean;
  onClose: () => void;
  onCreated: (k: CreatedKey) => void;
}) {
  const { t } = useI18n();
  const agents = useAgents();
  const create = useCreateKey();
  const [type, setType] = useState<'secret' | 'public'>('public');
  const [name, setName] = useState('');
  const [admin, setAdmin] = useState(false);
  const [origins, setOrigins] = useState<string[]>([]);
  const [agentIds, setAgentIds] = useState<string[]>([]);
  return (
    <Modal
      closeButtonProps={{ 'aria-label': t('common.close') }}
      opened={opened}
      onClose={onClose}
      title={t('keys.new')}
      size="lg"
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate(
            {
              type,
              name: name.trim(),
              ...(type === 'secret' && { scopes: admin ? ['agent:run', 'admin'] : ['agent:run'] }),
              ...(type === 'public' && { allowed_origins: origins.length ? origins : null }),
              agent_ids: agentIds.length ? agentIds : null,
            },
            {
              onSuccess: (k) => {
                setName('');
                setOrigins([]);
                setAgentIds([]);
                setAdmin(false);
                onCreated(k);
              },
            },
          );
        }}
      >
        <Stack>
          <SegmentedControl
            aria-label={t('keys.type')}
            value={type}
            onChange={(v) => setType(v as 'secret' | 'public')}
            data={[
              { value: 'public', label: t('keys.public') },
              { value: 'secret', label: t('keys.secret') },
            ]}
          />
          <Text size="sm" c="dimmed">
            {type === 'public' ? t('keys.publicHelp') : t('keys.secretHelp')}
          </Text>
          <TextInput
            label={t('keys.name')}
            required
            maxLength={150}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          {type === 'public' ? (
            <TagsInput
              label={t('keys.origins')}
              description={t('keys.originsHelp')}
              placeholder="https://www.example.com"
              value={origins}
              onChange={setOrigins}
              splitChars={[',', ' ']}
            />
          ) : (
            <Checkbox
              label={t('keys.adminScope')}
              checked={admin}
              onChange={(e) => setAdmin(e.currentTarget.checked)}
            />
          )}
          <MultiSelect
            label={t('keys.agents')}
            description={t('keys.agentsHelp')}
            data={(agents.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
            value={agentIds}
            onChange={setAgentIds}
            clearable
          />
          {create.error && (
            <Alert color="red" role="alert">
              <ErrorText error={create.error} />
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={create.isPending}>
              {t('common.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
