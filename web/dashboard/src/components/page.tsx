import { Alert, Group, Loader, Stack, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useI18n } from '../i18n/index.tsx';

/** A screen: one h1, optional actions on the right, then the content. */
export function PageFrame({
  title,
  actions,
  children,
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Stack gap="lg">
      <Group justify="space-between" align="center" wrap="wrap">
        <Title order={1} size="h2">
          {title}
        </Title>
        {actions}
      </Group>
      {children}
    </Stack>
  );
}

export function QueryState({ isPending, error }: { isPending: boolean; error: Error | null }) {
  const { t } = useI18n();
  if (error)
    return (
      <Alert color="red" title={t('common.error')} role="alert">
        {error.message}
      </Alert>
    );
  if (isPending) return <Loader size="sm" aria-label={t('common.loading')} />;
  return null;
}
