import type { App } from '../../../platform/http/types.js';
import { conversationMessageRoutes } from '../conversation-messages.routes.js';
import type { AgentApiDeps } from './index.js';

/** A10, A11, A18, A12, A20 on sessions. */
export function messageRoutes(app: App, { services, ctx, hide }: AgentApiDeps): void {
  conversationMessageRoutes(app, {
    services,
    ctx,
    hide,
    collection: 'sessions',
    param: 'session_id',
    auth: 'agent-key',
    security: [{ ApiKey: [] }],
    tag: 'Agent API · Messages',
    labels: { send: 'A10', stream: 'A11', list: 'A18', get: 'A12', resume: 'A20' },
  });
}
