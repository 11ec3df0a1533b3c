import {
  Alert,
  Anchor,
  Button,
  Center,
  Group,
  Paper,
  PasswordInput,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { api, setCredential } from '../api/client.ts';
import type { Page, Workspace } from '../api/types.ts';
import { ErrorText } from '../components/errors.tsx';
import { LangSwitch } from '../components/lang-switch.tsx';
import { Logo } from '../components/logo.tsx';
import { useI18n } from '../i18n/index.tsx';

/** The operator token (printed on first start) or a secret key with the `admin` scope. */
export function SignInScreen() {
  const { t } = useI18n();
  const [value, setValue] = useState('');
  const [error, setError] = useState<ReactNode>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    const token = value.trim();
    if (!token) return;
    setBusy(true);
    setError(null);
    try {
      await api<Page<Workspace>>('/v1/admin/workspaces', { query: { limit: 1 }, token });
      setCredential(token);
    } catch (err) {
      const status = (err as { status?: number }).status;
      setError(
        status === 401 ? (
          t('signIn.invalid')
        ) : status === 403 ? (
          t('signIn.notAdmin')
        ) : (
          <ErrorText error={err} />
        ),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={440} maw="100%" component="main">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <Stack>
            <Group justify="space-between">
              <Logo />
              <LangSwitch />
            </Group>
            <Title order={1} size="h3">
              {t('signIn.title')}
            </Title>
            <Text size="sm" c="dimmed">
              {t('signIn.help')}
            </Text>
            <PasswordInput
              label={t('signIn.label')}
              placeholder="papo_op_… / papo_sk_…"
              value={value}
              onChange={(e) => setValue(e.currentTarget.value)}
              autoFocus
              required
              autoComplete="current-password"
            />
            {error && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <Button type="submit" loading={busy}>
              {t('signIn.submit')}
            </Button>
            <Text size="xs" c="dimmed">
              {t('signIn.docs')}{' '}
              <Anchor href="/docs" size="xs">
                /docs
              </Anchor>
            </Text>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
