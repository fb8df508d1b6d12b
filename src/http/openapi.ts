import { z } from 'zod';
import { errorCodes } from '../errors';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

export interface RouteDoc {
  method: HttpMethod;
  path: string;
  summary: string;
  tags: string[];
  auth: boolean;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  headers?: z.ZodType;
  responses: Record<number, ResponseSpec>;
}

const errorSchema = z.object({
  error: z.object({
    code: z.enum(errorCodes),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output') {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' });
}

function parameters(schema: z.ZodType | undefined, location: 'query' | 'path' | 'header') {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || (js.required ?? []).includes(name),
    schema: s,
  }));
}

/** Collects route docs as routes are defined, so the OpenAPI document is generated from the zod schemas. */
export class OpenApiRegistry {
  private readonly routes: RouteDoc[] = [];

  add(doc: RouteDoc): void {
    this.routes.push(doc);
  }

  document(info: { title: string; version: string; serverUrl: string }) {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of this.routes) {
      const oaPath = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const responses: Record<string, unknown> = {};
      for (const [status, spec] of Object.entries(r.responses)) {
        responses[status] = {
          description: spec.description,
          ...(spec.schema ? { content: { 'application/json': { schema: jsonSchema(spec.schema, 'output') } } } : {}),
        };
      }
      responses.default = {
        description: 'Error',
        content: { 'application/json': { schema: jsonSchema(errorSchema, 'output') } },
      };
      (paths[oaPath] ??= {})[r.method] = {
        summary: r.summary,
        tags: r.tags,
        ...(r.auth ? { security: [{ bearer: [] }] } : { security: [] }),
        parameters: [
          ...parameters(r.params, 'path'),
          ...parameters(r.query, 'query'),
          ...parameters(r.headers, 'header'),
        ],
        ...(r.body
          ? {
              requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } },
            }
          : {}),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: info.title, version: info.version },
      servers: [{ url: info.serverUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      paths,
    };
  }
}
