import { compactVerify, SignJWT } from 'jose';
import type { Clock } from '../../platform/clock.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { SigningSecret } from '../workspaces/signing-secret.js';

const ISSUER = 'papo';
const AUDIENCE = 'papo:public-chat';

export interface SessionTokenClaims {
  conversationId: string;
  workspaceId: string;
  agentId: string;
  keyId: string;
  jti: string;
  expiresAt: Date;
}

export interface IssuedToken {
  session_token: string;
  expires_at: string;
  expires_in: number;
}

export interface SessionTokens {
  issue(c: {
    conversationId: string;
    workspaceId: string;
    agentId: string;
    keyId: string;
    ttlSeconds: number;
  }): Promise<IssuedToken>;
  /**
   * Verifies a Bearer token in the order of quintus.md §1.2: signature, kid, iss/aud, claims and
   * a live issuing key → 401 invalid_session_token; then `exp` ≤ now (no leeway) → 401
   * session_token_expired.
   */
  verify(token: string, isKeyLive: (keyId: string) => Promise<boolean>): Promise<SessionTokenClaims>;
}

const invalid = () => new AppError('invalid_session_token', 'The session token is not valid.');

/** HS256 JWTs signed with the persisted server secret; `kid` names the secret for rotation. */
export function createSessionTokens(deps: { secret: SigningSecret; clock: Clock }): SessionTokens {
  const key = new TextEncoder().encode(deps.secret.secret);
  return {
    async issue(c) {
      const now = deps.clock.now();
      const iat = Math.floor(now.getTime() / 1000);
      const exp = iat + c.ttlSeconds;
      const token = await new SignJWT({
        conversation_id: c.conversationId,
        workspace_id: c.workspaceId,
        agent_id: c.agentId,
        key_id: c.keyId,
      })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: deps.secret.kid })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(c.conversationId)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .setJti(newId())
        .sign(key);
      return { session_token: token, expires_at: new Date(exp * 1000).toISOString(), expires_in: exp - iat };
    },

    async verify(token, isKeyLive) {
      let payload: Record<string, unknown>;
      try {
        const { payload: bytes, protectedHeader } = await compactVerify(
          token,
          (header) => {
            if (header.kid !== deps.secret.kid) throw invalid();
            return key;
          },
          { algorithms: ['HS256'] },
        );
        if (protectedHeader.typ !== undefined && protectedHeader.typ !== 'JWT') throw invalid();
        payload = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
      } catch {
        // any failure to read or authenticate the token is the same answer, by design
        throw invalid();
      }
      const str = (k: string) => (typeof payload[k] === 'string' ? (payload[k] as string) : undefined);
      const aud = payload['aud'];
      const audOk = aud === AUDIENCE || (Array.isArray(aud) && aud.includes(AUDIENCE));
      const exp = payload['exp'];
      const claims = {
        conversationId: str('conversation_id'),
        workspaceId: str('workspace_id'),
        agentId: str('agent_id'),
        keyId: str('key_id'),
        jti: str('jti'),
      };
      if (
        str('iss') !== ISSUER ||
        !audOk ||
        typeof exp !== 'number' ||
        Object.values(claims).some((v) => v === undefined) ||
        str('sub') !== claims.conversationId
      ) {
        throw invalid();
      }
      if (!(await isKeyLive(claims.keyId!))) throw invalid();
      const expiresAt = new Date(exp * 1000);
      if (expiresAt.getTime() <= deps.clock.now().getTime()) {
        throw new AppError('session_token_expired', 'Session token has expired. Refresh it to continue.', {
          expired_at: expiresAt.toISOString(),
        });
      }
      return { ...(claims as Omit<SessionTokenClaims, 'expiresAt'>), expiresAt };
    },
  };
}
