/** Bearer-token authentication for every route but the health check. */
import type { NextFunction, Request, Response } from 'express';
import { bearer, resolveToken, type TokenBook } from '../auth/tokens.ts';
import type { Principal } from '../state/types.ts';
import { HttpError } from './http-error.ts';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export function authenticate(tokens: TokenBook) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const principal = resolveToken(tokens, bearer(req.headers.authorization));
    if (!principal) throw new HttpError(401, req.headers.authorization ? 'invalid token' : 'missing token: send Authorization: Bearer <token>');
    req.principal = principal;
    next();
  };
}

/** The caller, who must be a user or the admin (agents may only use /api/agent). */
export function userOf(req: Request): Principal {
  const p = req.principal;
  if (!p) throw new HttpError(401, 'not authenticated');
  if (p.kind === 'enroll') throw new HttpError(403, 'the enrollment token may only enroll agents');
  if (p.kind === 'agent') throw new HttpError(403, 'agent tokens may only use the agent API');
  return p;
}

/** The enrolled node making the request (agents use their node credential over HTTP too). */
export function agentOf(req: Request): Extract<Principal, { kind: 'agent' }> {
  const p = req.principal;
  if (p?.kind === 'enroll') throw new HttpError(403, 'the enrollment token may only enroll agents: connect to the agent WebSocket first');
  if (!p || p.kind !== 'agent') throw new HttpError(403, 'this route is for agents');
  return p;
}

export function adminOf(req: Request): Principal {
  const p = userOf(req);
  if (p.kind !== 'admin') throw new HttpError(403, 'admin only');
  return p;
}
