import { Badge } from '@mantine/core';
import type { AgentStatus, ConversationStatus } from '../api/types.ts';
import { useI18n } from '../i18n/index.tsx';

// Explicit shades: Mantine's green.9 / orange.9 under white text fall just short of 4.5:1.
export const STATUS_GREEN = '#1e6b34';
const STATUS_ORANGE = '#a13d06';
const STATUS_GREY = '#495057';

const agentColors: Record<AgentStatus, string> = {
  active: STATUS_GREEN,
  draft: STATUS_GREY,
  inactive: STATUS_ORANGE,
  archived: '#343a40',
};

export function AgentStatusBadge({ status }: { status: AgentStatus }) {
  const { t } = useI18n();
  return (
    <Badge color={agentColors[status]} variant="filled" style={{ minWidth: 'max-content' }}>
      {t(`agentStatus.${status}`)}
    </Badge>
  );
}

const convColors: Record<ConversationStatus, string> = {
  active: STATUS_GREEN,
  closed: STATUS_GREY,
  expired: STATUS_ORANGE,
};

export function ConversationStatusBadge({ status }: { status: ConversationStatus }) {
  const { t } = useI18n();
  return (
    <Badge color={convColors[status]} variant="filled" style={{ minWidth: 'max-content' }}>
      {t(`convStatus.${status}`)}
    </Badge>
  );
}
