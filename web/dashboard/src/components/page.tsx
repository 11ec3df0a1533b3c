import { Alert, Group, Loader, Stack, Title } from '@mantine/core';
import { useEffect, useRef, type ReactNode } from 'react';
import { useI18n } from '../i18n/index.tsx';
import { takeFocusRequest, usePath } from '../router.tsx';
import { ErrorText } from './errors.tsx';

/**
 * A screen: one h1, optional actions on the right, then the content. The h1 names the browser
 * tab and, after a client-side navigation, takes the focus (what a page load would announce).
 */
export function PageFrame({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  const h1 = useRef<HTMLHeadingElement>(null);
  // on every navigation, also one that keeps this screen mounted (another agent's page)
  const path = usePath();
  useEffect(() => {
    if (takeFocusRequest()) h1.current?.focus({ preventScroll: true });
  }, [path]);
  useEffect(() => {
    document.title = `${title} · Papo`;
  }, [title]);
  return (
    <Stack gap="lg">
      <Group justify="space-between" align="center" wrap="wrap">
        <Title order={1} size="h2" ref={h1} tabIndex={-1} style={{ outline: 'none' }}>
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
        <ErrorText error={error} />
      </Alert>
    );
  if (isPending) return <Loader size="sm" aria-label={t('common.loading')} />;
  return null;
}
