import {
  Alert,
  Button,
  Grid,
  Group,
  Modal,
  NumberInput,
  Paper,
  Select,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, ApiError, ws } from '../api/client.ts';
import type { Agent, AgentInput, AgentStatus, ModelsCatalogue, OutputFormat } from '../api/types.ts';
import { ErrorText } from '../components/errors.tsx';
import { fmtDecimal } from '../format.ts';
import { useI18n } from '../i18n/index.tsx';
import { navigate } from '../router.tsx';
import { useWorkspace } from '../session.tsx';

export interface FormState {
  name: string;
  description: string;
  instructions: string;
  model: string;
  temperature: number | '';
  max_output_tokens: number | '';
  greeting: string;
  output_format: OutputFormat;
  idle_ttl_seconds: number | '';
  warning_message: string;
  final_message: string;
  warning_instructions: string;
  final_instructions: string;
  close_on_final: boolean;
  status: AgentStatus;
}

export const DEFAULTS: FormState = {
  name: '',
  description: '',
  instructions: '',
  model: 'demo:papo-demo',
  temperature: '',
  max_output_tokens: '',
  greeting: '',
  output_format: 'markdown',
  idle_ttl_seconds: 86_400,
  warning_message: '',
  final_message: '',
  warning_instructions: '',
  final_instructions: '',
  close_on_final: true,
  status: 'active',
};

export function fromAgent(a: Agent): FormState {
  return {
    name: a.name,
    description: a.description ?? '',
    instructions: a.instructions,
    model: a.model,
    temperature: a.temperature ?? '',
    max_output_tokens: a.max_output_tokens ?? '',
    greeting: a.greeting ?? '',
    output_format: a.output_format,
    idle_ttl_seconds: a.idle_ttl_seconds,
    warning_message: a.inactivity.warning_message ?? '',
    final_message: a.inactivity.final_message ?? '',
    warning_instructions: a.inactivity.warning_instructions ?? '',
    final_instructions: a.inactivity.final_instructions ?? '',
    close_on_final: a.inactivity.close_on_final,
    status: a.status,
  };
}

function toInput(f: FormState): AgentInput {
  const opt = (s: string) => (s.trim() ? s : undefined);
  return {
    name: f.name.trim(),
    description: f.description.trim() || null,
    instructions: f.instructions,
    model: f.model,
    temperature: f.temperature === '' ? null : f.temperature,
    max_output_tokens: f.max_output_tokens === '' ? null : f.max_output_tokens,
    greeting: f.greeting.trim() || null,
    output_format: f.output_format,
    ...(f.idle_ttl_seconds !== '' && { idle_ttl_seconds: f.idle_ttl_seconds }),
    inactivity: {
      warning_message: opt(f.warning_message),
      final_message: opt(f.final_message),
      warning_instructions: opt(f.warning_instructions),
      final_instructions: opt(f.final_instructions),
      close_on_final: f.close_on_final,
    },
    status: f.status,
  };
}

/** Issue paths (`error.context.issues[].path`) the form shows on one of its inputs. */
const FIELD_PATHS = [
  'name',
  'description',
  'instructions',
  'greeting',
  'model',
  'temperature',
  'max_output_tokens',
  'output_format',
  'status',
  'idle_ttl_seconds',
  'inactivity.warning_message',
  'inactivity.final_message',
  'inactivity.warning_instructions',
  'inactivity.final_instructions',
  'inactivity.close_on_final',
];

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Title order={2} size="h4">
          {title}
        </Title>
        {children}
      </Stack>
    </Paper>
  );
}

/** Create (agent = null) or edit an agent; a save publishes at once (admin.md). */
export function AgentForm({ initial, agent }: { initial: FormState; agent: Agent | null }) {
  const { t, lang } = useI18n();
  const { workspaceId } = useWorkspace();
  const qc = useQueryClient();
  const [f, setF] = useState<FormState>(initial);
  const [saved, setSaved] = useState<string | null>(null);
  const [confirmDelete, deleteModal] = useDisclosure(false);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((s) => ({ ...s, [k]: v }));
  const models = useQuery({
    queryKey: ['models'],
    queryFn: () => api<ModelsCatalogue>('/v1/admin/models'),
  });

  const save = useMutation({
    mutationFn: (input: AgentInput) =>
      agent
        ? api<Agent>(ws(workspaceId, `/agents/${agent.id}`), { method: 'PATCH', body: input })
        : api<Agent>(ws(workspaceId, '/agents'), { method: 'POST', body: input }),
    onSuccess: (a) => {
      void qc.invalidateQueries({ queryKey: ['agents', workspaceId] });
      qc.setQueryData(['agent', workspaceId, a.id], a);
      void qc.invalidateQueries({ queryKey: ['versions', workspaceId, a.id] });
      if (!agent) return navigate(`/agents/${a.id}`, true);
      setF(fromAgent(a));
      setSaved(t('agent.savedVersion', { n: a.published_version }));
    },
  });
  const remove = useMutation({
    mutationFn: () => api<void>(ws(workspaceId, `/agents/${agent!.id}`), { method: 'DELETE' }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['agents', workspaceId] });
      navigate('/agents', true);
    },
  });

  const modelOptions = (models.data?.models ?? []).map((m) => ({
    value: m.model,
    label: `${m.label ?? m.model}${m.available ? '' : ` — ${t('agent.modelUnavailable')}`}`,
    disabled: !m.available && m.model !== f.model,
  }));
  if (f.model && !modelOptions.some((o) => o.value === f.model)) {
    modelOptions.push({ value: f.model, label: f.model, disabled: false });
  }
  const price = models.data?.models.find((m) => m.model === f.model)?.price;
  const error = save.error ?? remove.error;
  // a rejected save marks each input the server named (e.g. a name another agent has)
  const invalid = save.error instanceof ApiError && save.error.issues.length > 0 ? save.error : null;
  const fieldError = (path: string) => invalid?.issueAt(path);
  const elsewhere = invalid?.issues.filter((i) => !FIELD_PATHS.includes(i.path)) ?? [];

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(null);
        save.mutate(toInput(f));
      }}
    >
      <Stack gap="md">
        <Grid>
          <Grid.Col span={{ base: 12, md: 7 }}>
            <Stack gap="md">
              <Section title={t('agent.sectionBasics')}>
                <TextInput
                  label={t('agent.name')}
                  required
                  maxLength={150}
                  value={f.name}
                  onChange={(e) => set('name', e.currentTarget.value)}
                  error={fieldError('name')}
                />
                <TextInput
                  label={t('agent.description')}
                  maxLength={2000}
                  value={f.description}
                  onChange={(e) => set('description', e.currentTarget.value)}
                  error={fieldError('description')}
                />
                <Textarea
                  label={t('agent.instructions')}
                  description={t('agent.instructionsHelp')}
                  required
                  autosize
                  minRows={6}
                  maxRows={18}
                  value={f.instructions}
                  onChange={(e) => set('instructions', e.currentTarget.value)}
                  error={fieldError('instructions')}
                />
                <Textarea
                  label={t('agent.greeting')}
                  description={t('agent.greetingHelp')}
                  autosize
                  minRows={2}
                  value={f.greeting}
                  onChange={(e) => set('greeting', e.currentTarget.value)}
                  error={fieldError('greeting')}
                />
              </Section>
              <Section title={t('agent.sectionInactivity')}>
                <Text size="sm" c="dimmed">
                  {t('agent.inactivityHelp')}
                </Text>
                <TextInput
                  label={t('agent.warningMessage')}
                  value={f.warning_message}
                  onChange={(e) => set('warning_message', e.currentTarget.value)}
                  error={fieldError('inactivity.warning_message')}
                />
                <TextInput
                  label={t('agent.warningInstructions')}
                  value={f.warning_instructions}
                  onChange={(e) => set('warning_instructions', e.currentTarget.value)}
                  error={fieldError('inactivity.warning_instructions')}
                />
                <TextInput
                  label={t('agent.finalMessage')}
                  value={f.final_message}
                  onChange={(e) => set('final_message', e.currentTarget.value)}
                  error={fieldError('inactivity.final_message')}
                />
                <TextInput
                  label={t('agent.finalInstructions')}
                  value={f.final_instructions}
                  onChange={(e) => set('final_instructions', e.currentTarget.value)}
                  error={fieldError('inactivity.final_instructions')}
                />
                <Switch
                  label={t('agent.closeOnFinal')}
                  checked={f.close_on_final}
                  onChange={(e) => set('close_on_final', e.currentTarget.checked)}
                  error={fieldError('inactivity.close_on_final')}
                />
              </Section>
            </Stack>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 5 }}>
            <Stack gap="md">
              <Section title={t('agent.sectionModel')}>
                <Select
                  label={t('agent.model')}
                  data={modelOptions}
                  value={f.model}
                  onChange={(v) => v && set('model', v)}
                  error={fieldError('model')}
                  allowDeselect={false}
                  searchable
                  description={
                    price
                      ? t('agent.price', {
                          input: fmtDecimal(price.input_usd_per_mtok, lang, 4),
                          output: fmtDecimal(price.output_usd_per_mtok, lang, 4),
                        })
                      : undefined
                  }
                />
                <NumberInput
                  label={t('agent.temperature')}
                  description={t('agent.providerDefault')}
                  min={0}
                  max={2}
                  step={0.1}
                  decimalScale={2}
                  value={f.temperature}
                  onChange={(v) => set('temperature', v === '' ? '' : Number(v))}
                  error={fieldError('temperature')}
                />
                <NumberInput
                  label={t('agent.maxOutputTokens')}
                  description={t('agent.providerDefault')}
                  min={1}
                  allowDecimal={false}
                  value={f.max_output_tokens}
                  onChange={(v) => set('max_output_tokens', v === '' ? '' : Number(v))}
                  error={fieldError('max_output_tokens')}
                />
                <Select
                  label={t('agent.outputFormat')}
                  data={(['markdown', 'plain', 'whatsapp', 'slack'] as const).map((v) => ({
                    value: v,
                    label: t(`outputFormat.${v}`),
                  }))}
                  value={f.output_format}
                  onChange={(v) => v && set('output_format', v as OutputFormat)}
                  error={fieldError('output_format')}
                  allowDeselect={false}
                />
              </Section>
              <Section title={t('agent.sectionLifecycle')}>
                <Select
                  label={t('agent.status')}
                  description={t('agent.statusHelp')}
                  data={(['active', 'draft', 'inactive', 'archived'] as const).map((v) => ({
                    value: v,
                    label: t(`agentStatus.${v}`),
                  }))}
                  value={f.status}
                  onChange={(v) => v && set('status', v as AgentStatus)}
                  error={fieldError('status')}
                  allowDeselect={false}
                />
                <NumberInput
                  label={t('agent.idleTtl')}
                  description={t('agent.idleTtlHelp')}
                  min={300}
                  max={2_592_000}
                  allowDecimal={false}
                  value={f.idle_ttl_seconds}
                  onChange={(v) => set('idle_ttl_seconds', v === '' ? '' : Number(v))}
                  error={fieldError('idle_ttl_seconds')}
                />
              </Section>
            </Stack>
          </Grid.Col>
        </Grid>
        {invalid ? (
          <Alert color="red" role="alert">
            {t('agent.validation')}
            {elsewhere.map((i) => (
              <div key={`${i.path}|${i.message}`}>
                {i.path}: {i.message}
              </div>
            ))}
          </Alert>
        ) : (
          error && (
            <Alert color="red" role="alert">
              <ErrorText error={error} />
            </Alert>
          )
        )}
        {saved && (
          <Alert color="green" role="status">
            {saved}
          </Alert>
        )}
        <Group justify="space-between">
          <Group>
            <Button type="submit" loading={save.isPending}>
              {agent ? t('agent.savePublish') : t('agent.create')}
            </Button>
            {agent && agent.status !== 'active' && (
              <Button
                variant="light"
                onClick={() => {
                  setSaved(null);
                  save.mutate({ ...toInput(f), status: 'active' });
                }}
              >
                {t('agent.publish')}
              </Button>
            )}
          </Group>
          {agent && (
            <Button color="red" variant="subtle" onClick={deleteModal.open}>
              {t('agent.delete')}
            </Button>
          )}
        </Group>
      </Stack>
      <Modal
        closeButtonProps={{ 'aria-label': t('common.close') }}
        opened={confirmDelete}
        onClose={deleteModal.close}
        title={t('agent.deleteTitle')}
      >
        <Stack>
          <Text>{t('agent.deleteConfirm', { name: agent?.name ?? '' })}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={deleteModal.close}>
              {t('common.cancel')}
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
              {t('agent.delete')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </form>
  );
}
