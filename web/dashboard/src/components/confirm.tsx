import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useI18n } from '../i18n/index.tsx';
import { ErrorText } from './errors.tsx';

/** "Delete this …?" with Cancel and an action button (red unless told); shows the action's error if it fails. */
export function ConfirmModal({
  opened,
  title,
  text,
  action,
  color = 'red',
  pending,
  error,
  onConfirm,
  onClose,
}: {
  opened: boolean;
  title: string;
  text: string;
  action: string;
  color?: string;
  pending: boolean;
  error: Error | null;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const { t } = useI18n();
  return (
    <Modal
      closeButtonProps={{ 'aria-label': t('common.close') }}
      opened={opened}
      onClose={onClose}
      title={title}
    >
      <Stack>
        <Text>{text}</Text>
        {error && (
          <Alert color="red" role="alert">
            <ErrorText error={error} />
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button color={color} loading={pending} onClick={onConfirm}>
            {action}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
