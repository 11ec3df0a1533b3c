export interface SystemContextInput {
  instructions: string;
  context: Record<string, unknown>;
  user: {
    name: string | null;
    email: string | null;
    phone: string | null;
    info: Record<string, unknown>;
  } | null;
  /** EvaGPT abilities, a block right after the instructions (features/abilities). */
  abilities?: string;
  /** The agent's own instruction lines: lead capture, fallback answer (features/leads). */
  agentLines?: string[];
  /** RD Station: the system messages the caller sent into the conversation, oldest first. */
  callerSystem?: string[];
}

/**
 * The system context the model sees (README §6.3): published instructions, abilities, the
 * caller's system messages (RD Station), the agent's fallback and lead-capture lines, then the
 * conversation `context` as a <context> JSON block, then the bound user as <user_info>.
 */
export function buildSystemContext(input: SystemContextInput): string {
  const parts = [input.instructions.trim()];
  if (input.abilities) parts.push(input.abilities);
  // RD Station additions (README §6.3 order: instructions, fallback and lead-capture lines, context)
  for (const text of input.callerSystem ?? []) parts.push(text.trim());
  for (const line of input.agentLines ?? []) parts.push(line);
  if (Object.keys(input.context).length > 0) {
    parts.push(`<context>\n${JSON.stringify(input.context)}\n</context>`);
  }
  if (input.user) {
    const u = input.user;
    const info = {
      ...(u.name !== null && { name: u.name }),
      ...(u.email !== null && { email: u.email }),
      ...(u.phone !== null && { phone: u.phone }),
      ...(Object.keys(u.info).length > 0 && { info: u.info }),
    };
    parts.push(`<user_info>\n${JSON.stringify(info)}\n</user_info>`);
  }
  return parts.filter(Boolean).join('\n\n');
}
