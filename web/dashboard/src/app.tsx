import {
  ActionIcon,
  Alert,
  AppShell,
  Burger,
  Button,
  Center,
  Group,
  Loader,
  NavLink,
  Paper,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useLayoutEffect, useState, type ReactNode } from 'react';
import { signOut } from './api/agent-api.ts';
import { api, isAdminKey } from './api/client.ts';
import type { Workspace } from './api/types.ts';
import { ErrorText } from './components/errors.tsx';
import { LangSwitch } from './components/lang-switch.tsx';
import { Logo } from './components/logo.tsx';
import { PageFrame } from './components/page.tsx';
import './components/skip-link.css';
import { useI18n, type MessageKey } from './i18n/index.tsx';
import { linkProps, match, navigate, usePath } from './router.tsx';
import { AgentEditorScreen } from './screens/agent-editor.tsx';
import { AgentsScreen } from './screens/agents.tsx';
import { ConversationScreen } from './screens/conversation.tsx';
import { ConversationsScreen } from './screens/conversations.tsx';
import { EmbedScreen } from './screens/embed.tsx';
import { KeysScreen } from './screens/keys.tsx';
import { KnowledgeBaseScreen } from './screens/knowledge-base.tsx';
import { KnowledgeBasesScreen } from './screens/knowledge-bases.tsx';
import { SignInScreen } from './screens/sign-in.tsx';
import { useCredential, useWorkspace, useWorkspacesQuery, WorkspaceProvider } from './session.tsx';

// The charts library is most of the bundle: loaded when the Usage screen opens.
const UsageScreen = lazy(() => import('./screens/usage.tsx').then((m) => ({ default: m.UsageScreen })));

const NAV: Array<{ to: string; label: MessageKey }> = [
  { to: '/agents', label: 'nav.agents' },
  { to: '/knowledge', label: 'nav.knowledge' },
  { to: '/conversations', label: 'nav.conversations' },
  { to: '/usage', label: 'nav.usage' },
  { to: '/keys', label: 'nav.keys' },
  { to: '/embed', label: 'nav.embed' },
];

export function App() {
  const credential = useCredential();
  const qc = useQueryClient();
  // signed out (the button or a 401): nothing read with that credential stays in memory
  useEffect(() => {
    if (!credential) qc.clear();
  }, [credential, qc]);
  if (!credential) return <SignInScreen />;
  return <SignedIn />;
}

function SignedIn() {
  const { t } = useI18n();
  const workspaces = useWorkspacesQuery();
  if (workspaces.isPending)
    return (
      <Center h="100vh">
        <Loader aria-label={t('common.loading')} />
      </Center>
    );
  if (workspaces.isError)
    return (
      <Center h="100vh">
        <Alert color="red" title={t('common.error')}>
          <ErrorText error={workspaces.error} />
          <Button mt="md" variant="light" onClick={() => void signOut()}>
            {t('shell.signOut')}
          </Button>
        </Alert>
      </Center>
    );
  if (workspaces.data.length === 0) return <FirstWorkspace />;
  return (
    <WorkspaceProvider workspaces={workspaces.data}>
      <Shell />
    </WorkspaceProvider>
  );
}

function FirstWorkspace() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [name, setName] = useState('default');
  const [error, setError] = useState<Error | null>(null);
  return (
    <Center h="100vh">
      <Paper withBorder p="xl" w={420} component="main">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            api<Workspace>('/v1/admin/workspaces', { method: 'POST', body: { name } }).then(
              () => qc.invalidateQueries({ queryKey: ['workspaces'] }),
              (err: Error) => setError(err),
            );
          }}
        >
          <Stack>
            <Title order={1} size="h3">
              {t('workspace.createTitle')}
            </Title>
            <TextInput
              label={t('workspace.name')}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
            />
            {error && (
              <Alert color="red">
                <ErrorText error={error} />
              </Alert>
            )}
            <Button type="submit">{t('common.create')}</Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}

function Shell() {
  const { t } = useI18n();
  const path = usePath();
  const [opened, { toggle, close }] = useDisclosure();
  const { workspaceId, workspaces, setWorkspaceId } = useWorkspace();
  const qc = useQueryClient();
  const [signingOut, setSigningOut] = useState(false);
  const section = NAV.find((n) => path === n.to || path.startsWith(`${n.to}/`));
  // the section's name until the screen (PageFrame) sets its own title, e.g. while it loads
  useLayoutEffect(() => {
    document.title = section ? `${t(section.label)} · Papo` : 'Papo';
  }, [section, t]);
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <a
        className="papo-skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        {t('shell.skipToContent')}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('shell.menu')} />
            <Logo />
          </Group>
          <Group gap="sm" wrap="nowrap">
            {workspaces.length > 1 || !isAdminKey() ? (
              <Select
                aria-label={t('shell.workspace')}
                data={workspaces.map((w) => ({ value: w.id, label: w.name }))}
                value={workspaceId}
                onChange={(v) => {
                  if (!v || v === workspaceId) return;
                  setWorkspaceId(v);
                  qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'workspaces' });
                  // an agent, base or conversation of the previous workspace does not exist here
                  const list = listOf(path);
                  if (list) navigate(list, true);
                }}
                allowDeselect={false}
                w={180}
                visibleFrom="xs"
              />
            ) : null}
            <LangSwitch />
            <Tooltip label={t('shell.signOut')}>
              <ActionIcon
                variant="default"
                size="lg"
                aria-label={t('shell.signOut')}
                loading={signingOut}
                loaderProps={{ 'aria-label': t('common.loading') }}
                onClick={() => {
                  setSigningOut(true);
                  void signOut();
                }}
              >
                <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true">
                  <path
                    fill="currentColor"
                    d="M10 17v-3H3v-4h7V7l5 5-5 5zm3-14h6a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-6v-2h6V5h-6V3z"
                  />
                </svg>
              </ActionIcon>
            </Tooltip>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" component="nav" aria-label={t('shell.navigation')}>
        {NAV.map((n) => (
          <NavLink
            key={n.to}
            component="a"
            {...linkProps(n.to)}
            onClickCapture={close}
            label={t(n.label)}
            variant="filled"
            active={path === n.to || path.startsWith(`${n.to}/`)}
            aria-current={path === n.to || path.startsWith(`${n.to}/`) ? 'page' : undefined}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1} style={{ outline: 'none' }}>
        {/* keyed by workspace: no filter or form state carries over to another workspace */}
        <Screen key={workspaceId} path={path} />
      </AppShell.Main>
    </AppShell>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, true), [to]);
  return null;
}

/** The list screen of a one-record path (`/agents/<id>` → `/agents`), or null. */
function listOf(path: string): string | null {
  const [section, id] = path.split('/').filter(Boolean);
  return section && id && id !== 'new' ? `/${section}` : null;
}

function Screen({ path }: { path: string }): ReactNode {
  const { t } = useI18n();
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <Redirect to="/agents" />;
  if (match('/agents', path)) return <AgentsScreen />;
  if (match('/agents/new', path)) return <AgentEditorScreen key="new" agentId={null} />;
  if ((m = match('/agents/:id', path))) return <AgentEditorScreen key={m['id']} agentId={m['id']!} />;
  if (match('/knowledge', path)) return <KnowledgeBasesScreen />;
  if ((m = match('/knowledge/:id', path))) return <KnowledgeBaseScreen key={m['id']} id={m['id']!} />;
  if (match('/conversations', path)) return <ConversationsScreen />;
  if ((m = match('/conversations/:id', path))) return <ConversationScreen key={m['id']} id={m['id']!} />;
  if (match('/usage', path))
    return (
      <Suspense fallback={<Loader size="sm" aria-label={t('common.loading')} />}>
        <UsageScreen />
      </Suspense>
    );
  if (match('/keys', path)) return <KeysScreen />;
  if (match('/embed', path)) return <EmbedScreen />;
  return (
    <PageFrame title={t('common.notFound')}>
      <Text>
        <a {...linkProps('/agents')}>{t('nav.agents')}</a>
      </Text>
    </PageFrame>
  );
}
