/** Users: the admin creates users and hands out their tokens. */
import { Router } from 'express';
import type { CreatedUser, Users } from '../../../shared/api/head-api.ts';
import { routes } from '../../../shared/api/routes.ts';
import { adminOf } from '../auth.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http-error.ts';

export function usersRouter(deps: AppDeps): Router {
  const r = Router();
  r.post(routes.users(), async (req, res) => {
    adminOf(req);
    const name = req.body?.name;
    if (typeof name !== 'string') throw new HttpError(400, 'body must be { "name": "<user>" }');
    const created = await deps.addUser(name, req.body?.admin === true);
    if (!created.ok) throw new HttpError(409, created.error);
    res.status(201).json({ name, token: created.token, admin: req.body?.admin === true } satisfies CreatedUser);
  });
  r.get(routes.users(), (req, res) => {
    adminOf(req);
    res.json({ users: deps.cluster.users.list().map((u) => ({ name: u.name, admin: u.admin, createdAt: u.createdAt })) } satisfies Users);
  });
  return r;
}
