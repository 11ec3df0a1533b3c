import { Group, Text } from '@mantine/core';

export function Logo() {
  return (
    <Group gap={6} wrap="nowrap">
      <svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true">
        <path fill="#1864ab" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-5 4V6a2 2 0 0 1 1-2z" />
      </svg>
      <Text fw={700} size="lg">
        Papo
      </Text>
    </Group>
  );
}
