import { BarChart } from '@mantine/charts';
import { Group, Paper, SimpleGrid, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ws } from '../api/client.ts';
import type { UsageItem } from '../api/types.ts';
import { PageFrame, QueryState } from '../components/page.tsx';
import { fmtInt, fmtUsd, isoDay } from '../format.ts';
import { useI18n } from '../i18n/index.tsx';
import { useWorkspace } from '../session.tsx';
import { useAgents } from './agents.tsx';

type GroupBy = 'day' | 'agent' | 'model';

function useUsage(groupBy: GroupBy, from: string, to: string) {
  const { workspaceId } = useWorkspace();
  return useQuery({
    queryKey: ['usage', workspaceId, groupBy, from, to],
    queryFn: () =>
      api<{ items: UsageItem[] }>(ws(workspaceId, '/usage'), {
        query: {
          group_by: groupBy,
          from: from ? `${from}T00:00:00.000Z` : undefined,
          to: to ? new Date(Date.parse(`${to}T00:00:00.000Z`) + 86_400_000).toISOString() : undefined,
        },
      }),
    select: (r) => r.items,
  });
}

/** Every day of [from, to] (UTC), so the chart shows quiet days as zero. */
function fillDays(items: UsageItem[], from: string, to: string): UsageItem[] {
  const byDay = new Map(items.map((i) => [i.key.slice(0, 10), i]));
  const out: UsageItem[] = [];
  const end = Date.parse(`${to}T00:00:00.000Z`);
  for (let d = Date.parse(`${from}T00:00:00.000Z`); d <= end && out.length < 400; d += 86_400_000) {
    const key = isoDay(new Date(d));
    out.push(
      byDay.get(key) ?? {
        key,
        messages: 0,
        input_tokens: 0,
        output_tokens: 0,
        cached_tokens: 0,
        cost_usd: 0,
      },
    );
  }
  return out;
}

export function UsageScreen() {
  const { t, lang } = useI18n();
  // the server counts usage per UTC day, so the range is in UTC days too: "To" is today in UTC
  // (already tomorrow's date on a Brazilian evening), and every date on the screen says so
  const [from, setFrom] = useState(() => isoDay(new Date(Date.now() - 29 * 86_400_000)));
  const [to, setTo] = useState(() => isoDay(new Date()));
  const days = useUsage('day', from, to);
  const byAgent = useUsage('agent', from, to);
  const byModel = useUsage('model', from, to);
  const agents = useAgents();
  const names = new Map((agents.data ?? []).map((a) => [a.id, a.name]));

  const daily = days.data && from && to ? fillDays(days.data, from, to) : [];
  const totals = (days.data ?? []).reduce(
    (s, i) => ({
      messages: s.messages + i.messages,
      tokens: s.tokens + i.input_tokens + i.output_tokens,
      cost: s.cost + i.cost_usd,
    }),
    { messages: 0, tokens: 0, cost: 0 },
  );
  const chartData = daily.map((d) => ({
    day: d.key.slice(5),
    [t('usage.messages')]: d.messages,
    [t('usage.inputTokens')]: d.input_tokens,
    [t('usage.outputTokens')]: d.output_tokens,
    [t('usage.cost')]: d.cost_usd,
  }));

  return (
    <PageFrame
      title={t('usage.title')}
      actions={
        <Group gap="sm">
          <TextInput
            label={t('usage.from')}
            type="date"
            value={from}
            max={to}
            onChange={(e) => setFrom(e.currentTarget.value)}
          />
          <TextInput
            label={t('usage.to')}
            type="date"
            value={to}
            min={from}
            onChange={(e) => setTo(e.currentTarget.value)}
          />
        </Group>
      }
    >
      <Text size="sm" c="dimmed" data-testid="usage-utc-note">
        {t('usage.utcNote')}
      </Text>
      <QueryState isPending={days.isPending} error={days.error} />
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Stat label={t('usage.messages')} value={fmtInt(totals.messages, lang)} />
        <Stat label={t('usage.tokens')} value={fmtInt(totals.tokens, lang)} />
        <Stat label={t('usage.cost')} value={fmtUsd(totals.cost, lang)} />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Paper withBorder p="md">
          <Title order={2} size="h4" mb="md">
            {t('usage.messagesPerDay')}
          </Title>
          <BarChart
            h={240}
            data={chartData}
            dataKey="day"
            series={[{ name: t('usage.messages'), color: 'blue.8' }]}
            tickLine="y"
          />
        </Paper>
        <Paper withBorder p="md">
          <Title order={2} size="h4" mb="md">
            {t('usage.tokensPerDay')}
          </Title>
          <BarChart
            h={240}
            data={chartData}
            dataKey="day"
            type="stacked"
            withLegend
            series={[
              { name: t('usage.inputTokens'), color: 'teal.8' },
              { name: t('usage.outputTokens'), color: 'violet.8' },
            ]}
            tickLine="y"
          />
        </Paper>
        <Paper withBorder p="md">
          <Title order={2} size="h4" mb="md">
            {t('usage.costPerDay')}
          </Title>
          <BarChart
            h={240}
            data={chartData}
            dataKey="day"
            series={[{ name: t('usage.cost'), color: 'orange.8' }]}
            valueFormatter={(v) => fmtUsd(v, lang)}
            tickLine="y"
          />
        </Paper>
        <Paper withBorder p="md">
          <Title order={2} size="h4" mb="md">
            {t('usage.costPerAgent')}
          </Title>
          <BarChart
            h={240}
            data={(byAgent.data ?? []).map((i) => ({
              agent: names.get(i.key) ?? i.key.slice(0, 8),
              [t('usage.cost')]: i.cost_usd,
            }))}
            dataKey="agent"
            series={[{ name: t('usage.cost'), color: 'orange.8' }]}
            valueFormatter={(v) => fmtUsd(v, lang)}
            tickLine="y"
          />
        </Paper>
      </SimpleGrid>
      <UsageTable
        title={t('usage.byAgent')}
        label={t('inbox.agent')}
        items={byAgent.data}
        name={(k) => names.get(k) ?? k}
      />
      <UsageTable title={t('usage.byModel')} label={t('agent.model')} items={byModel.data} name={(k) => k} />
      <UsageTable
        title={t('usage.byDay')}
        label={t('usage.day')}
        items={days.data}
        name={(k) => k.slice(0, 10)}
      />
    </PageFrame>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <Paper withBorder p="md">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="xl">
        {value}
      </Text>
    </Paper>
  );
}

function UsageTable({
  title,
  label,
  items,
  name,
}: {
  title: string;
  label: string;
  items: UsageItem[] | undefined;
  name: (key: string) => string;
}) {
  const { t, lang } = useI18n();
  return (
    <Paper withBorder p="md">
      <Title order={2} size="h4" mb="sm">
        {title}
      </Title>
      {!items || items.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('usage.none')}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={600}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{label}</Table.Th>
                <Table.Th ta="right">{t('usage.messages')}</Table.Th>
                <Table.Th ta="right">{t('usage.inputTokens')}</Table.Th>
                <Table.Th ta="right">{t('usage.outputTokens')}</Table.Th>
                <Table.Th ta="right">{t('usage.cachedTokens')}</Table.Th>
                <Table.Th ta="right">{t('usage.cost')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((i) => (
                <Table.Tr key={i.key}>
                  <Table.Td>{name(i.key)}</Table.Td>
                  <Table.Td ta="right">{fmtInt(i.messages, lang)}</Table.Td>
                  <Table.Td ta="right">{fmtInt(i.input_tokens, lang)}</Table.Td>
                  <Table.Td ta="right">{fmtInt(i.output_tokens, lang)}</Table.Td>
                  <Table.Td ta="right">{fmtInt(i.cached_tokens, lang)}</Table.Td>
                  <Table.Td ta="right">{fmtUsd(i.cost_usd, lang)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}
