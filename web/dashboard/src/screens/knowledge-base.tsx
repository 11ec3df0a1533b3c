import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Button,
  FileButton,
  Grid,
  Group,
  Paper,
  Progress,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, upload, ws } from '../api/client.ts';
import type {
  CursorPage,
  KnowledgeBase,
  KnowledgeFile,
  KnowledgeFileStatus,
  KnowledgeRecord,
} from '../api/types.ts';
import { STATUS_GREEN } from '../components/badges.tsx';
import { ConfirmModal } from '../components/confirm.tsx';
import { PageFrame, QueryState } from '../components/page.tsx';
import { fmtBytes, fmtDateTime } from '../format.ts';
import { useI18n } from '../i18n/index.tsx';
import { linkProps, navigate } from '../router.tsx';
import { useWorkspace } from '../session.tsx';
import { DeleteKnowledgeBase, KnowledgeBaseModal, useInvalidateBase } from './knowledge-bases.tsx';
import { ErrorText, errorDetail, errorText } from '../components/errors.tsx';

const MAX_FILE_BYTES = 25 * 1024 * 1024;
const ACCEPT = '.pdf,.docx,.txt,.md,.csv,.json';

export function KnowledgeBaseScreen({ id }: { id: string }) {
  const { t } = useI18n();
  const { workspaceId } = useWorkspace();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const base = useQuery({
    queryKey: ['knowledge-base', workspaceId, id],
    queryFn: () => api<KnowledgeBase>(ws(workspaceId, `/knowledge-bases/${id}`)),
  });
  if (!base.data) return <QueryState isPending={base.isPending} error={base.error} />;
  const b = base.data;
  return (
    <PageFrame
      title={b.name}
      actions={
        <Group gap="xs">
          <Button variant="default" onClick={() => setEditing(true)}>
            {t('knowledge.rename')}
          </Button>
          <Button color="red" variant="light" onClick={() => setDeleting(true)}>
            {t('common.delete')}
          </Button>
        </Group>
      }
    >
      <Anchor {...linkProps('/knowledge')} size="sm">
        ← {t('knowledge.back')}
      </Anchor>
      {b.description && (
        <Text size="sm" maw={760} style={{ whiteSpace: 'pre-wrap' }}>
          {b.description}
        </Text>
      )}
      <Grid>
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Records base={b} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Files base={b} />
        </Grid.Col>
      </Grid>
      <KnowledgeBaseModal
        base={editing ? b : null}
        onClose={() => setEditing(false)}
        onSaved={() => setEditing(false)}
      />
      <DeleteKnowledgeBase
        base={deleting ? b : null}
        onClose={() => setDeleting(false)}
        onDeleted={() => navigate('/knowledge', true)}
      />
    </PageFrame>
  );
}

/** The base's files, first page (also used to name the file a record came from). */
function useFiles(base: KnowledgeBase) {
  const { workspaceId } = useWorkspace();
  return useInfiniteQuery({
    queryKey: ['kb-files', workspaceId, base.id],
    queryFn: ({ pageParam }) =>
      api<CursorPage<KnowledgeFile>>(ws(workspaceId, `/knowledge-bases/${base.id}/files`), {
        query: { limit: 50, cursor: pageParam },
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    // a file is chunked in the background: poll while one is still processing
    refetchInterval: (q) =>
      q.state.data?.pages.some((p) => p.items.some((f) => f.status === 'processing')) ? 1_500 : false,
  });
}

function Records({ base }: { base: KnowledgeBase }) {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const qc = useQueryClient();
  const invalidate = useInvalidateBase();
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [added, setAdded] = useState(false);
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const files = useFiles(base);
  const fileNames = new Map(files.data?.pages.flatMap((p) => p.items.map((f) => [f.id, f.name])) ?? []);
  const records = useInfiniteQuery({
    queryKey: ['kb-records', workspaceId, base.id, q],
    queryFn: ({ pageParam }) =>
      api<CursorPage<KnowledgeRecord>>(ws(workspaceId, `/knowledge-bases/${base.id}/records`), {
        query: { limit: 20, cursor: pageParam, search: q || undefined },
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['kb-records', workspaceId, base.id] });
    invalidate(base.id);
  };
  const add = useMutation({
    mutationFn: () =>
      api<KnowledgeRecord>(ws(workspaceId, `/knowledge-bases/${base.id}/records`), {
        method: 'POST',
        body: { text, ...(title.trim() && { title: title.trim() }) },
      }),
    onSuccess: () => {
      setTitle('');
      setText('');
      setAdded(true);
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (r: KnowledgeRecord) =>
      api<void>(ws(workspaceId, `/knowledge-bases/${base.id}/records/${r.id}`), { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const rows = records.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Stack gap="md">
      <Paper withBorder p="md">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setAdded(false);
            add.mutate();
          }}
        >
          <Stack gap="sm">
            <Title order={2} size="h4">
              {t('knowledge.addRecord')}
            </Title>
            <TextInput
              label={t('knowledge.recordTitle')}
              maxLength={200}
              value={title}
              onChange={(e) => setTitle(e.currentTarget.value)}
            />
            <Textarea
              label={t('knowledge.recordText')}
              description={t('knowledge.recordTextHelp')}
              required
              autosize
              minRows={3}
              maxRows={12}
              maxLength={20_000}
              value={text}
              onChange={(e) => {
                setText(e.currentTarget.value);
                setAdded(false);
              }}
            />
            {add.error && (
              <Alert color="red" role="alert">
                <ErrorText error={add.error} />
              </Alert>
            )}
            <Group>
              <Button type="submit" loading={add.isPending} disabled={!text.trim()}>
                {t('knowledge.add')}
              </Button>
              <Text size="sm" c={STATUS_GREEN} role="status">
                {added ? t('knowledge.recordAdded') : ''}
              </Text>
            </Group>
          </Stack>
        </form>
      </Paper>
      <Paper withBorder p="md">
        <Stack gap="sm">
          <Title order={2} size="h4">
            {t('knowledge.tabRecords', { n: base.records_count })}
          </Title>
          <TextInput
            type="search"
            label={t('knowledge.searchRecords')}
            placeholder={t('knowledge.searchPlaceholder')}
            maxLength={200}
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            maw={360}
          />
          <QueryState isPending={records.isPending} error={records.error} />
          {remove.error && (
            <Alert color="red" role="alert">
              <ErrorText error={remove.error} />
            </Alert>
          )}
          {records.data && rows.length === 0 && <Text c="dimmed">{t('knowledge.noRecords')}</Text>}
          <Stack gap="xs" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {rows.map((r) => (
              <Paper
                key={r.id}
                component="li"
                withBorder
                p="sm"
                bg="gray.0"
                data-record-title={r.title ?? ''}
              >
                <Group justify="space-between" wrap="nowrap" align="flex-start">
                  <div style={{ minWidth: 0 }}>
                    <Text size="sm" fw={600}>
                      {r.title || t('knowledge.untitled')}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {r.file_id
                        ? fileNames.has(r.file_id)
                          ? t('knowledge.fromFile', { name: fileNames.get(r.file_id)! })
                          : t('knowledge.fromFileDeleted')
                        : t('knowledge.manual')}{' '}
                      · {fmtDateTime(r.created_at, lang)}
                    </Text>
                  </div>
                  <Tooltip label={t('common.delete')}>
                    <ActionIcon
                      variant="subtle"
                      color="red.9"
                      aria-label={t('knowledge.deleteRecord', { title: r.title || r.text.slice(0, 40) })}
                      loading={remove.isPending && remove.variables?.id === r.id}
                      onClick={() => remove.mutate(r)}
                    >
                      <TrashIcon />
                    </ActionIcon>
                  </Tooltip>
                </Group>
                <Text
                  size="sm"
                  mt={4}
                  lineClamp={5}
                  style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
                >
                  {r.text}
                </Text>
              </Paper>
            ))}
          </Stack>
          {records.hasNextPage && (
            <Group>
              <Button
                variant="default"
                loading={records.isFetchingNextPage}
                onClick={() => void records.fetchNextPage()}
              >
                {t('common.loadMore')}
              </Button>
            </Group>
          )}
        </Stack>
      </Paper>
    </Stack>
  );
}

interface Upload {
  key: string;
  name: string;
  fraction: number;
  error: string | null;
}

const statusColors: Record<KnowledgeFileStatus, string> = {
  processing: '#495057',
  ready: STATUS_GREEN,
  failed: '#b02a2a',
};

function Files({ base }: { base: KnowledgeBase }) {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const qc = useQueryClient();
  const invalidate = useInvalidateBase();
  const files = useFiles(base);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [deleting, setDeleting] = useState<KnowledgeFile | null>(null);
  const rows = files.data?.pages.flatMap((p) => p.items) ?? [];

  // when a file finishes processing, its records (and the base's counts) are new
  const processing = rows.filter((f) => f.status === 'processing').length;
  const wasProcessing = useRef(processing);
  useEffect(() => {
    if (processing < wasProcessing.current) {
      void qc.invalidateQueries({ queryKey: ['kb-records', workspaceId, base.id] });
      invalidate(base.id);
    }
    wasProcessing.current = processing;
  }, [processing, qc, workspaceId, base.id, invalidate]);

  const patch = (key: string, p: Partial<Upload>) =>
    setUploads((all) => all.map((u) => (u.key === key ? { ...u, ...p } : u)));
  const start = (chosen: File[]) => {
    for (const file of chosen) {
      const key = `${file.name}-${Date.now()}-${Math.random()}`;
      if (file.size > MAX_FILE_BYTES) {
        setUploads((all) => [
          ...all,
          { key, name: file.name, fraction: 0, error: t('knowledge.tooLarge', { name: file.name }) },
        ]);
        continue;
      }
      setUploads((all) => [...all, { key, name: file.name, fraction: 0, error: null }]);
      upload<KnowledgeFile>(ws(workspaceId, `/knowledge-bases/${base.id}/files`), file, (fraction) =>
        patch(key, { fraction }),
      ).then(
        () => {
          setUploads((all) => all.filter((u) => u.key !== key));
          // a small file may be chunked before the upload's answer: its records are there already
          void qc.invalidateQueries({ queryKey: ['kb-files', workspaceId, base.id] });
          void qc.invalidateQueries({ queryKey: ['kb-records', workspaceId, base.id] });
          invalidate(base.id);
        },
        (err: Error) => {
          const detail = errorDetail(err, t);
          patch(key, { error: `${errorText(err, t)}${detail ? ` ${t('error.detail', { detail })}` : ''}` });
        },
      );
    }
  };

  const remove = useMutation({
    mutationFn: (f: KnowledgeFile) =>
      api<void>(ws(workspaceId, `/knowledge-bases/${base.id}/files/${f.id}`), { method: 'DELETE' }),
    onSuccess: () => {
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: ['kb-files', workspaceId, base.id] });
      void qc.invalidateQueries({ queryKey: ['kb-records', workspaceId, base.id] });
      invalidate(base.id);
    },
  });

  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Title order={2} size="h4">
          {t('knowledge.tabFiles', { n: base.files_count })}
        </Title>
        <Text size="sm" c="dimmed">
          {t('knowledge.uploadHelp')}
        </Text>
        <Group>
          <FileButton onChange={start} accept={ACCEPT} multiple>
            {(props) => (
              <Button variant="light" {...props}>
                {t('knowledge.upload')}
              </Button>
            )}
          </FileButton>
        </Group>
        {uploads.map((u) => (
          <Stack key={u.key} gap={4}>
            {u.error ? (
              <Alert
                color="red"
                role="alert"
                withCloseButton
                closeButtonLabel={t('common.close')}
                onClose={() => setUploads((all) => all.filter((x) => x.key !== u.key))}
              >
                {u.name}: {u.error}
              </Alert>
            ) : (
              <>
                <Text size="sm">
                  {t('knowledge.uploading', { name: u.name, percent: Math.round(u.fraction * 100) })}
                </Text>
                <Progress value={u.fraction * 100} aria-label={u.name} />
              </>
            )}
          </Stack>
        ))}
        <QueryState isPending={files.isPending} error={files.error} />
        {files.data && rows.length === 0 && uploads.length === 0 && (
          <Text c="dimmed" size="sm">
            {t('knowledge.noFiles')}
          </Text>
        )}
        {rows.length > 0 && (
          <Table.ScrollContainer minWidth={300}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('knowledge.fileName')}</Table.Th>
                  <Table.Th>{t('knowledge.status')}</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>{t('knowledge.actions')}</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((f) => (
                  <Table.Tr key={f.id} data-file-name={f.name}>
                    <Table.Td>
                      <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
                        {f.name}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {fmtBytes(f.size, lang)} · {fmtDateTime(f.created_at, lang)}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Badge
                        variant="filled"
                        color={statusColors[f.status]}
                        style={{ minWidth: 'max-content' }}
                      >
                        {t(`fileStatus.${f.status}`)}
                      </Badge>
                      {f.status === 'ready' && (
                        <Text size="xs" c="dimmed">
                          {f.records_count === 1
                            ? t('knowledge.fileRecord')
                            : t('knowledge.fileRecords', { n: f.records_count })}
                        </Text>
                      )}
                      {f.error && (
                        <Text size="xs" c="red.9">
                          {f.error}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Tooltip label={t('common.delete')}>
                        <ActionIcon
                          variant="subtle"
                          color="red.9"
                          aria-label={t('knowledge.deleteFile', { name: f.name })}
                          onClick={() => setDeleting(f)}
                        >
                          <TrashIcon />
                        </ActionIcon>
                      </Tooltip>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {files.hasNextPage && (
          <Group>
            <Button
              variant="default"
              loading={files.isFetchingNextPage}
              onClick={() => void files.fetchNextPage()}
            >
              {t('common.loadMore')}
            </Button>
          </Group>
        )}
      </Stack>
      <ConfirmModal
        opened={deleting !== null}
        title={t('knowledge.deleteFileTitle')}
        text={t('knowledge.deleteFileConfirm', { name: deleting?.name ?? '' })}
        action={t('common.delete')}
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => deleting && remove.mutate(deleting)}
        onClose={() => {
          remove.reset();
          setDeleting(null);
        }}
      />
    </Paper>
  );
}

export function TrashIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true">
      <path
        fill="currentColor"
        d="M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9zm4 2v8h1.5v-8H10zm3.5 0v8H15v-8h-1.5z"
      />
    </svg>
  );
}
