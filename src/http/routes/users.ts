import { z } from 'zod';
import type { User } from '../../users/types';
import { roles } from '../../users/types';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { afterIdOf, nextIdCursor } from '../pagination';
import { defineRoute } from '../route';
import {
  cursorSchema,
  idParams,
  idSchema,
  limitSchema,
  mobileSchema,
  noteSchema,
  pageOf,
  userSchema,
} from '../schemas';

export function userView(u: User) {
  return {
    id: u.id,
    role: u.role,
    name: u.name,
    mobile: u.mobile,
    email: u.email,
    parentId: u.parentId,
    status: u.status,
    kycTier: u.kycTier,
    createdAt: u.createdAt.toISOString(),
  };
}

const createUserBody = z.object({
  role: z.enum(roles),
  name: z.string().trim().min(1).max(200),
  mobile: mobileSchema,
  email: z.email().max(254).optional(),
  parentId: idSchema.optional(),
});

const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

const tags = ['users'];

export function userRoutes(ctx: RouteContext): void {
  userAccountRoutes(ctx);
  userStatusRoutes(ctx);
  apiKeyRoutes(ctx);
}

/** Creating, listing and reading users in the caller's downline. */
function userAccountRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/users',
      summary: 'Create a user below the caller (or below parentId in its downline); non-support users get a wallet',
      tags,
      body: createUserBody,
      responses: { 201: { description: 'Created', schema: userSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'USER_SUSPENDED', 'CONFLICT'],
    },
    async ({ body, res }) => {
      const user = await deps.users.create(callerOf(res), body);
      res.status(201).json(userView(user));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/users',
      summary: "List users in the caller's scope, optionally the direct children of parentId",
      tags,
      query: z.object({ parentId: idSchema.optional(), cursor: cursorSchema, limit: limitSchema }),
      responses: { 200: { description: 'A page of users', schema: pageOf(userSchema) } },
      errors: ['NOT_FOUND'],
    },
    async ({ query, res }) => {
      const page = await deps.users.list(callerOf(res), {
        parentId: query.parentId,
        limit: query.limit,
        afterId: afterIdOf(query.cursor),
      });
      res.json({ items: page.items.map(userView), nextCursor: nextIdCursor(page) });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/users/:id',
      summary: 'A user in scope (404 outside it)',
      tags,
      params: idParams,
      responses: { 200: { description: 'The user', schema: userSchema } },
      errors: ['NOT_FOUND'],
    },
    async ({ params, res }) => {
      res.json(userView(await deps.users.visible(callerOf(res), params.id)));
    },
  );
}

/** Suspending and re-activating a user in the downline; clearing a sanctions review. */
function userStatusRoutes({ router, registry, deps }: RouteContext): void {
  for (const [action, status] of [
    ['suspend', 'suspended'],
    ['activate', 'active'],
  ] as const) {
    defineRoute(
      router,
      registry,
      {
        method: 'post',
        path: `/v1/users/:id/${action}`,
        summary: `${action === 'suspend' ? 'Suspend' : 'Activate'} a user in the downline (admin or an upline)`,
        tags,
        params: idParams,
        responses: { 200: { description: 'The user', schema: userSchema } },
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
      },
      async ({ params, res }) => {
        res.json(userView(await deps.users.setStatus(callerOf(res), params.id, status)));
      },
    );
  }

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/users/:id/clear-review',
      summary:
        "Clear a sanctions review (admin, with a note; audited): the user's open hits are marked cleared and a pending_review user becomes active",
      tags,
      params: idParams,
      body: z.object({ note: noteSchema }),
      responses: {
        200: { description: 'The user', schema: userSchema },
        409: { description: 'The user has no sanctions review to clear' },
      },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
    },
    async ({ params, body, req, res }) => {
      const actor = { caller: callerOf(res), requestId: res.locals.requestId as string, ip: req.ip };
      res.json(userView(await deps.users.clearReview(actor, params.id, body.note)));
    },
  );
}

/** API keys: created for the caller or a user it manages, listed, revoked. */
function apiKeyRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/api-keys',
      summary: 'Create an API key for the caller or a user it manages; the key is shown once',
      tags: ['authentication'],
      body: z.object({ userId: idSchema.optional(), name: z.string().trim().min(1).max(100) }),
      responses: { 201: { description: 'Created', schema: z.object({ id: z.string(), key: z.string() }) } },
      errors: ['FORBIDDEN', 'NOT_FOUND'],
    },
    async ({ body, res }) => {
      res.status(201).json(await deps.users.createApiKey(callerOf(res), body));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/api-keys',
      summary: 'List the API keys of a user in scope (never the keys themselves)',
      tags: ['authentication'],
      query: z.object({ userId: idSchema.optional() }),
      responses: { 200: { description: 'Keys', schema: z.object({ items: z.array(apiKeySchema) }) } },
      errors: ['FORBIDDEN', 'NOT_FOUND'],
    },
    async ({ query, res }) => {
      const caller = callerOf(res);
      res.json({ items: await deps.users.listApiKeys(caller, query.userId ?? caller.id) });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'delete',
      path: '/v1/api-keys/:id',
      summary: 'Revoke an API key',
      tags: ['authentication'],
      params: idParams,
      responses: { 204: { description: 'Revoked' } },
      errors: ['NOT_FOUND'],
    },
    async ({ params, res }) => {
      await deps.users.revokeApiKey(callerOf(res), params.id);
      res.status(204).end();
    },
  );
}
