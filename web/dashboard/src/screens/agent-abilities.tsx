import { Alert, Button, Group, Modal, Paper, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, ws } from '../api/client.ts';
import type { Ability, Agent } from '../api/types.ts';
import { ConfirmModal } from '../components/confirm.tsx';
import { QueryState } from '../components/page.tsx';
import { fmtDateTime } from '../format.ts';
import { useI18n } from '../i18n/index.tsx';
import { useWorkspace } from '../session.tsx';
import { ErrorText } from '../components/errors.tsx';

/** The agent's abilities: extra instruction blocks, applied from the next reply, not versioned. */
export function Abilities({ agent }: { agent: Agent }) {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<Ability | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Ability | null>(null);
  const abilities = useQuery({
    queryKey: ['abilities', workspaceId, agent.id],
    queryFn: () => api<{ items: Ability[] }>(ws(workspaceId, `/agents/${agent.id}/abilities`)),
    select: (r) => r.items,
  });
  const remove = useMutation({
    mutationFn: (a: Ability) =>
      api<void>(ws(workspaceId, `/agents/${agent.id}/abilities/${a.id}`), { method: 'DELETE' }),
    onSuccess: () => {
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: ['abilities', workspaceId, agent.id] });
    },
  });
  return (
    <Stack maw={820}>
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Text size="sm" c="dimmed">
          {t('abilities.help')}
        </Text>
        <Button onClick={() => setEditing('new')} style={{ flex: 'none' }}>
          {t('abilities.add')}
        </Button>
      </Group>
      <QueryState isPending={abilities.isPending} error={abilities.error} />
      {abilities.data?.length === 0 && <Text c="dimmed">{t('abilities.empty')}</Text>}
      {abilities.data?.map((a) => (
        <Paper key={a.id} withBorder p="md" data-ability={a.name}>
          <Group justify="space-between" wrap="nowrap" align="flex-start">
            <div style={{ minWidth: 0 }}>
              <Title order={2} size="h5">
                {a.name}
              </Title>
              {a.description && (
                <Text size="sm" c="dimmed">
                  {a.description}
                </Text>
              )}
            </div>
            <Group gap="xs" wrap="nowrap">
              <Button
                size="xs"
                variant="default"
                onClick={() => setEditing(a)}
                aria-label={t('abilities.editNamed', { name: a.name })}
              >
                {t('common.edit')}
              </Button>
              <Button
                size="xs"
                color="red"
                variant="light"
                onClick={() => setDeleting(a)}
                aria-label={t('abilities.deleteNamed', { name: a.name })}
              >
                {t('common.delete')}
              </Button>
            </Group>
          </Group>
          <Text size="sm" mt="xs" lineClamp={6} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            {a.instructions}
          </Text>
          <Text size="xs" c="dimmed" mt={4}>
            {t('common.updated')}: {fmtDateTime(a.updated_at, lang)}
          </Text>
        </Paper>
      ))}
      <Modal
        closeButtonProps={{ 'aria-label': t('common.close') }}
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? t('abilities.createTitle') : t('abilities.editTitle')}
        size="lg"
      >
        {editing !== null && (
          <AbilityForm
            key={editing === 'new' ? 'new' : editing.id}
            agent={agent}
            ability={editing}
            onDone={() => setEditing(null)}
          />
        )}
      </Modal>
      <ConfirmModal
        opened={deleting !== null}
        title={t('abilities.deleteTitle')}
        text={t('abilities.deleteConfirm', { name: deleting?.name ?? '' })}
        action={t('common.delete')}
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => deleting && remove.mutate(deleting)}
        onClose={() => {
          remove.reset();
          setDeleting(null);
        }}
      />
    </Stack>
  );
}

function AbilityForm({
  agent,
  ability,
  onDone,
}: {
  agent: Agent;
  ability: Ability | 'new';
  onDone: () => void;
}) {
  const { t } = useI18n();
  const { workspaceId } = useWorkspace();
  const qc = useQueryClient();
  const existing = ability === 'new' ? null : ability;
  const [name, setName] = useState(existing?.name ?? '');
  const [description, setDescription] = useState(existing?.description ?? '');
  const [instructions, setInstructions] = useState(existing?.instructions ?? '');
  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), description: description.trim() || null, instructions };
      return existing
        ? api<Ability>(ws(workspaceId, `/agents/${agent.id}/abilities/${existing.id}`), {
            method: 'PATCH',
            body,
          })
        : api<Ability>(ws(workspaceId, `/agents/${agent.id}/abilities`), { method: 'POST', body });
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['abilities', workspaceId, agent.id] });
      onDone();
    },
  });
  const err = save.error;
  // the one name issue a valid form can meet is a duplicate (names are unique per agent)
  const nameError =
    err instanceof ApiError && err.code === 'validation_error' && err.issueAt('name')
      ? t('abilities.nameTaken')
      : undefined;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <Stack>
        <TextInput
          label={t('abilities.name')}
          description={t('abilities.nameHelp')}
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={nameError}
          data-autofocus
        />
        <TextInput
          label={t('abilities.description')}
          maxLength={500}
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
        />
        <Textarea
          label={t('abilities.instructions')}
          required
          autosize
          minRows={6}
          maxRows={16}
          maxLength={20_000}
          value={instructions}
          onChange={(e) => setInstructions(e.currentTarget.value)}
        />
        {err && !nameError && (
          <Alert color="red" role="alert">
            <ErrorText error={err} />
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {existing ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
