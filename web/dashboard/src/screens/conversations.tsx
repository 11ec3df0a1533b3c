import { Anchor, Badge, Button, Group, Select, Switch, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, ws } from '../api/client.ts';
import type { ConversationStatus, ConversationSummary, Page } from '../api/types.ts';
import { ConversationStatusBadge } from '../components/badges.tsx';
import { PageFrame, QueryState } from '../components/page.tsx';
import { fmtDateTime } from '../format.ts';
import { useI18n } from '../i18n/index.tsx';
import { linkProps } from '../router.tsx';
import { useWorkspace } from '../session.tsx';
import { useAgents } from './agents.tsx';
import { plainText } from '../components/markdown.tsx';

/** Start of a local calendar day (date input value `YYYY-MM-DD`) as an ISO instant. */
function dayStart(value: string, plusDays = 0): string | undefined {
  if (!value) return undefined;
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y!, m! - 1, d! + plusDays).toISOString();
}

export function ConversationsScreen() {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const agents = useAgents();
  const [agentId, setAgentId] = useState<string | null>(null);
  const [status, setStatus] = useState<ConversationStatus | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [search, setSearch] = useState('');
  const [showTests, setShowTests] = useState(false);
  const [q] = useDebouncedValue(search.trim(), 300);

  const query = {
    agent_id: agentId ?? undefined,
    status: status ?? undefined,
    created_after: dayStart(from),
    created_before: dayStart(to, 1),
    search: q || undefined,
    // test conversations (playground, Gennia/RD Station previews) are filtered by the server
    is_test: showTests ? undefined : false,
  };
  const list = useInfiniteQuery({
    queryKey: ['conversations', workspaceId, query],
    queryFn: ({ pageParam }) =>
      api<Page<ConversationSummary>>(ws(workspaceId, '/conversations'), {
        query: { ...query, limit: 50, offset: pageParam },
      }),
    initialPageParam: 0,
    getNextPageParam: (last) => last.next_offset,
    refetchInterval: 10_000,
  });
  const names = useMemo(() => new Map((agents.data ?? []).map((a) => [a.id, a.name])), [agents.data]);
  // new conversations shift the offsets: a later page can repeat rows of an earlier one
  const rows = useMemo(() => {
    const byId = new Map<string, ConversationSummary>();
    for (const c of list.data?.pages.flatMap((p) => p.items) ?? []) if (!byId.has(c.id)) byId.set(c.id, c);
    return [...byId.values()];
  }, [list.data]);

  return (
    <PageFrame title={t('inbox.title')}>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <TextInput
          label={t('common.search')}
          placeholder={t('inbox.searchPlaceholder')}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={280}
          type="search"
        />
        <Select
          label={t('inbox.agent')}
          placeholder={t('inbox.allAgents')}
          data={(agents.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
          value={agentId}
          onChange={setAgentId}
          clearable
          w={200}
        />
        <Select
          label={t('inbox.status')}
          placeholder={t('inbox.allStatuses')}
          data={(['active', 'closed', 'expired'] as const).map((s) => ({
            value: s,
            label: t(`convStatus.${s}`),
          }))}
          value={status}
          onChange={(v) => setStatus(v as ConversationStatus | null)}
          clearable
          w={160}
        />
        <TextInput
          label={t('inbox.from')}
          type="date"
          value={from}
          onChange={(e) => setFrom(e.currentTarget.value)}
        />
        <TextInput
          label={t('inbox.to')}
          type="date"
          value={to}
          onChange={(e) => setTo(e.currentTarget.value)}
        />
        <Switch
          label={t('inbox.showTests')}
          checked={showTests}
          onChange={(e) => setShowTests(e.currentTarget.checked)}
          mb={8}
        />
      </Group>
      <QueryState isPending={list.isPending} error={list.error} />
      {list.data && rows.length === 0 && <Text c="dimmed">{t('inbox.empty')}</Text>}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('inbox.started')}</Table.Th>
                <Table.Th>{t('inbox.conversation')}</Table.Th>
                <Table.Th>{t('inbox.agent')}</Table.Th>
                <Table.Th>{t('inbox.status')}</Table.Th>
                <Table.Th>{t('inbox.messages')}</Table.Th>
                <Table.Th>{t('inbox.lastMessage')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((c) => (
                <Table.Tr key={c.id}>
                  <Table.Td>{fmtDateTime(c.created_at, lang)}</Table.Td>
                  <Table.Td>
                    <Anchor {...linkProps(`/conversations/${c.id}`)} fw={600}>
                      {plainText(c.title) || t('inbox.untitled')}
                    </Anchor>
                    <Group gap={6} wrap="nowrap">
                      <Text size="xs" c="dimmed">
                        {t(`channel.${c.kind}`)}
                        {c.external_user_id ? ` · ${c.external_user_id}` : ''}
                      </Text>
                      {c.is_test && (
                        <Badge size="xs" variant="outline" color="dark">
                          {t('inbox.test')}
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>{names.get(c.agent_id) ?? c.agent_id.slice(0, 8)}</Table.Td>
                  <Table.Td>
                    <ConversationStatusBadge status={c.status} />
                  </Table.Td>
                  <Table.Td>{c.messages_count}</Table.Td>
                  <Table.Td>{fmtDateTime(c.last_message_at, lang)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Group>
        {list.hasNextPage && (
          <Button
            variant="default"
            loading={list.isFetchingNextPage}
            onClick={() => void list.fetchNextPage()}
          >
            {t('inbox.loadMore')}
          </Button>
        )}
      </Group>
    </PageFrame>
  );
}
