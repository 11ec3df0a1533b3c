import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/types.js';
import { AIModelQuery, PublicAIModel } from './schemas.js';
import type { GenniaRouteDeps } from './routes.js';

/** gennia.md §4.11: the AI models agents may use (not paginated). */
export function modelRoutes(app: App, { models }: GenniaRouteDeps): void {
  app.get(
    '/ai-models',
    {
      config: { genniaScope: 'agent:run' },
      schema: { hide: true, querystring: AIModelQuery, response: { 200: Type.Array(PublicAIModel) } },
    },
    async (req) => models.list(req.query),
  );
}
