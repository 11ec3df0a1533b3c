import {
  Alert,
  Anchor,
  Button,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { api, ApiError, fetchAll, ws } from '../api/client.ts';
import type { KnowledgeBase } from '../api/types.ts';
import { ConfirmModal } from '../components/confirm.tsx';
import { PageFrame, QueryState } from '../components/page.tsx';
import { fmtDateTime, fmtInt } from '../format.ts';
import { useI18n } from '../i18n/index.tsx';
import { linkProps, navigate } from '../router.tsx';
import { useWorkspace } from '../session.tsx';
import { ErrorText } from '../components/errors.tsx';

/** Every knowledge base of the workspace (a workspace has few: pages of 100 are read to the end). */
export function useKnowledgeBases() {
  const { workspaceId } = useWorkspace();
  return useQuery({
    queryKey: ['knowledge-bases', workspaceId],
    queryFn: ({ signal }) => fetchAll<KnowledgeBase>(ws(workspaceId, '/knowledge-bases'), {}, signal),
  });
}

/** After a change to a base, its page, the list and the agents' pickers read it again. */
export function useInvalidateBase() {
  const { workspaceId } = useWorkspace();
  const qc = useQueryClient();
  return useCallback(
    (id?: string) => {
      void qc.invalidateQueries({ queryKey: ['knowledge-bases', workspaceId] });
      if (id) void qc.invalidateQueries({ queryKey: ['knowledge-base', workspaceId, id] });
    },
    [qc, workspaceId],
  );
}

export function KnowledgeBasesScreen() {
  const { t, lang } = useI18n();
  const bases = useKnowledgeBases();
  const [editing, setEditing] = useState<KnowledgeBase | 'new' | null>(null);
  const [deleting, setDeleting] = useState<KnowledgeBase | null>(null);
  return (
    <PageFrame
      title={t('knowledge.title')}
      actions={<Button onClick={() => setEditing('new')}>{t('knowledge.new')}</Button>}
    >
      <Text size="sm" c="dimmed" maw={760}>
        {t('knowledge.help')}
      </Text>
      <QueryState isPending={bases.isPending} error={bases.error} />
      {bases.data && bases.data.length === 0 && <Text c="dimmed">{t('knowledge.empty')}</Text>}
      {bases.data && bases.data.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('knowledge.name')}</Table.Th>
                <Table.Th>{t('knowledge.records')}</Table.Th>
                <Table.Th>{t('knowledge.files')}</Table.Th>
                <Table.Th>{t('common.updated')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('knowledge.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {bases.data.map((b) => (
                <Table.Tr key={b.id} data-kb-name={b.name}>
                  <Table.Td>
                    <Anchor {...linkProps(`/knowledge/${b.id}`)} fw={600}>
                      {b.name}
                    </Anchor>
                    {b.description && (
                      <Text size="xs" c="dimmed" lineClamp={1}>
                        {b.description}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{fmtInt(b.records_count, lang)}</Table.Td>
                  <Table.Td>{fmtInt(b.files_count, lang)}</Table.Td>
                  <Table.Td>{fmtDateTime(b.updated_at, lang)}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" justify="flex-end" wrap="nowrap">
                      <Button
                        size="xs"
                        variant="default"
                        onClick={() => setEditing(b)}
                        aria-label={t('knowledge.renameNamed', { name: b.name })}
                      >
                        {t('knowledge.rename')}
                      </Button>
                      <Button
                        size="xs"
                        color="red"
                        variant="light"
                        onClick={() => setDeleting(b)}
                        aria-label={t('knowledge.deleteNamed', { name: b.name })}
                      >
                        {t('common.delete')}
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <KnowledgeBaseModal
        base={editing}
        onClose={() => setEditing(null)}
        onSaved={(b, created) => {
          setEditing(null);
          if (created) navigate(`/knowledge/${b.id}`);
        }}
      />
      <DeleteKnowledgeBase base={deleting} onClose={() => setDeleting(null)} />
    </PageFrame>
  );
}

/** Create (`base = 'new'`) or rename/describe a knowledge base; closed when `base` is null. */
export function KnowledgeBaseModal({
  base,
  onClose,
  onSaved,
}: {
  base: KnowledgeBase | 'new' | null;
  onClose: () => void;
  onSaved: (b: KnowledgeBase, created: boolean) => void;
}) {
  const { t } = useI18n();
  return (
    <Modal
      closeButtonProps={{ 'aria-label': t('common.close') }}
      opened={base !== null}
      onClose={onClose}
      title={base === 'new' ? t('knowledge.createTitle') : t('knowledge.editTitle')}
      size="lg"
    >
      {base !== null && (
        <BaseForm key={base === 'new' ? 'new' : base.id} base={base} onClose={onClose} onSaved={onSaved} />
      )}
    </Modal>
  );
}

function BaseForm({
  base,
  onClose,
  onSaved,
}: {
  base: KnowledgeBase | 'new';
  onClose: () => void;
  onSaved: (b: KnowledgeBase, created: boolean) => void;
}) {
  const { t } = useI18n();
  const { workspaceId } = useWorkspace();
  const invalidate = useInvalidateBase();
  const [name, setName] = useState(base === 'new' ? '' : base.name);
  const [description, setDescription] = useState(base === 'new' ? '' : (base.description ?? ''));
  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), description: description.trim() || null };
      return base === 'new'
        ? api<KnowledgeBase>(ws(workspaceId, '/knowledge-bases'), { method: 'POST', body })
        : api<KnowledgeBase>(ws(workspaceId, `/knowledge-bases/${base.id}`), { method: 'PATCH', body });
    },
    onSuccess: (b) => {
      invalidate(b.id);
      onSaved(b, base === 'new');
    },
  });
  const err = save.error;
  const nameError = err instanceof ApiError ? err.issueAt('name') : undefined;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <Stack>
        <TextInput
          label={t('knowledge.name')}
          required
          maxLength={150}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={nameError}
          data-autofocus
        />
        <Textarea
          label={t('knowledge.description')}
          maxLength={2000}
          autosize
          minRows={2}
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
        />
        {err && !nameError && (
          <Alert color="red" role="alert">
            <ErrorText error={err} />
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {base === 'new' ? t('common.create') : t('common.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function DeleteKnowledgeBase({
  base,
  onClose,
  onDeleted,
}: {
  base: KnowledgeBase | null;
  onClose: () => void;
  onDeleted?: () => void;
}) {
  const { t } = useI18n();
  const { workspaceId } = useWorkspace();
  const invalidate = useInvalidateBase();
  const remove = useMutation({
    mutationFn: (b: KnowledgeBase) =>
      api<void>(ws(workspaceId, `/knowledge-bases/${b.id}`), { method: 'DELETE' }),
    onSuccess: () => {
      invalidate();
      onClose();
      onDeleted?.();
    },
  });
  return (
    <ConfirmModal
      opened={base !== null}
      title={t('knowledge.deleteTitle')}
      text={t('knowledge.deleteConfirm', { name: base?.name ?? '' })}
      action={t('common.delete')}
      pending={remove.isPending}
      error={remove.error}
      onConfirm={() => base && remove.mutate(base)}
      onClose={() => {
        remove.reset();
        onClose();
      }}
    />
  );
}
