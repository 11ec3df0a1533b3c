import { Text } from '@mantine/core';
import { ApiError } from '../api/client.ts';
import { useI18n, type MessageKey, type T } from '../i18n/index.tsx';

/** Error codes (quintus.md §4.2) a dashboard user can meet, with a text in each language. */
const CODES: Record<string, MessageKey> = {
  network_error: 'error.network',
  missing_api_key: 'error.unauthorized',
  invalid_api_key: 'error.unauthorized',
  insufficient_scope: 'error.forbidden',
  agent_not_allowed: 'error.agentNotAllowed',
  origin_not_allowed: 'error.originNotAllowed',
  not_found: 'error.notFound',
  conversation_closed: 'error.conversationClosed',
  agent_unavailable: 'error.agentUnavailable',
  request_too_large: 'error.tooLarge',
  file_too_large: 'error.tooLarge',
  unsupported_media_type: 'error.unsupportedMedia',
  validation_error: 'error.validation',
  invalid_request: 'error.validation',
  rate_limited: 'error.rateLimited',
  internal_error: 'error.server',
  service_unavailable: 'error.unavailable',
  model_error: 'error.model',
  model_timeout: 'error.modelTimeout',
  stream_interrupted: 'error.streamInterrupted',
};

/** What went wrong, in the user's language: by error code, else by HTTP status. */
export function errorText(err: unknown, t: T): string {
  if (!(err instanceof ApiError)) return t('common.error');
  const key = CODES[err.code];
  if (key) return t(key);
  if (err.status === 0) return t('common.error');
  if (err.status >= 500) return t('error.server');
  return t('error.http', { status: err.status });
}

/** The server's (or the browser's) own message, kept as a detail when it says more. */
export function errorDetail(err: unknown, t: T): string | null {
  if (!(err instanceof Error) || !err.message) return null;
  return err.message === errorText(err, t) ? null : err.message;
}

/** An error as a translated sentence and, smaller, the original message. */
export function ErrorText({ error }: { error: unknown }) {
  const { t } = useI18n();
  const detail = errorDetail(error, t);
  return (
    <>
      <Text size="sm" component="span" display="block">
        {errorText(error, t)}
      </Text>
      {detail && (
        <Text size="xs" component="span" display="block" mt={4} data-testid="error-detail">
          {t('error.detail', { detail })}
        </Text>
      )}
    </>
  );
}
