import type { TSchema } from '@sinclair/typebox';
import { fileSchemas } from './agent-api/files.routes.js';
import { User } from './agent-api/users.routes.js';
import { Session, Termination } from './agent-api/sessions.routes.js';
import { sharedSchemas } from './schemas.js';
import { publicConversationSchemas } from './public-api/conversations.routes.js';
import { publicFileSchemas } from './public-api/files.routes.js';
import { feedbackSchemas } from './public-api/feedback.routes.js';
import { inactivitySchemas } from './public-api/inactivity.routes.js';

/** Every schema with an $id, added once at the app root so routes and OpenAPI can $ref them. */
export const nativeSharedSchemas: TSchema[] = [
  ...sharedSchemas,
  User,
  Session,
  Termination,
  ...fileSchemas,
  ...publicConversationSchemas,
  ...publicFileSchemas,
  ...feedbackSchemas,
  ...inactivitySchemas,
];
