/**
 * The OpenAPI 3.1 document of the management API, generated from the route table's zod schemas
 * (`z.toJSONSchema`), never written by hand. Portable: no node:*.
 * @module
 */
import * as z from 'zod/mini';
import type { Route } from './route.js';
import { problemSchema } from './schemas.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function isOptional(schema: z.ZodMiniType): boolean {
  return schema.safeParse(undefined).success;
}

function parameters(schema: z.ZodMiniType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!(schema instanceof z.ZodMiniObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodMiniType>).map(([name, prop]) => {
    const p: JsonSchema = {
      name,
      in: where,
      required: where === 'path' ? true : !isOptional(prop),
      schema: schemaOf(prop, 'input'),
    };
    const description = z.globalRegistry.get(prop)?.description;
    if (description) p.description = description;
    return p;
  });
}

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: PROBLEM_REF } },
});

function operation(route: Route): JsonSchema {
  const params = [...parameters(route.params, 'path'), ...parameters(route.query, 'query')];
  if (route.idempotent) {
    params.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Replays the first answer for the same key, operator and body for 24 h (per process)',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
  }
  if (route.ifMatch) {
    params.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'The ETag of the version this change is based on',
      schema: { type: 'string' },
    });
  }
  if (route.method === 'GET') {
    params.push({ name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } });
  }
  const ok: JsonSchema = {
    description: route.sensitive ? 'Success (holds a secret: shown once, never cached)' : 'Success',
  };
  if (route.response) ok.content = { 'application/json': { schema: schemaOf(route.response, 'output') } };
  if (route.method === 'GET') ok.headers = { ETag: { schema: { type: 'string' } } };
  const responses: JsonSchema = {
    [String(route.status)]: ok,
    '400': problem('Bad input; `field` names it'),
    '401': problem('No or invalid operator key'),
    '403': problem(`The operator key lacks ${route.scope}`),
    '404': problem('Not found'),
    default: problem('Error (RFC 9457 problem details with a stable code)'),
  };
  if (route.method === 'GET') responses['304'] = { description: 'Not modified (If-None-Match)' };
  if (route.ifMatch) responses['412'] = problem('If-Match does not match the current version');
  const op: JsonSchema = {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: [{ operatorKey: [route.scope] }],
    'x-keywarden-scope': route.scope,
    responses,
  };
  if (params.length > 0) op.parameters = params;
  if (route.body) {
    op.requestBody = {
      required: !isOptional(route.body),
      content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
    };
  }
  return op;
}

/** Options of {@link openApiDocument}. */
export interface OpenApiOptions {
  /** Where the API is mounted (the document's server URL). */
  basePath: string;
  /** `info.version` (default `'0.2.0'`). */
  version?: string;
}

/**
 * Builds the OpenAPI 3.1 document of a route table.
 *
 * @example
 * ```ts
 * const doc = openApiDocument(ROUTES, { basePath: '/admin' });
 * doc.openapi; // '3.1.0'
 * ```
 * @throws never
 */
export function openApiDocument(routes: readonly Route[], options: OpenApiOptions): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const item = paths[route.path] ?? {};
    item[route.method.toLowerCase()] = operation(route);
    paths[route.path] = item;
  }
  paths['/openapi.json'] = {
    get: {
      operationId: 'getOpenApi',
      summary: 'This document (no authentication)',
      tags: ['meta'],
      security: [],
      responses: { '200': { description: 'The OpenAPI 3.1 document', content: { 'application/json': {} } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'keywarden management API',
      version: options.version ?? '0.2.0',
      description:
        'Manage API keys, secrets, signing keys, rotation, audit and agent access. Authenticate with a keywarden API key holding keywarden:read|write|approve|reveal|admin scopes.',
    },
    servers: [{ url: options.basePath === '' ? '/' : options.basePath }],
    paths,
    components: {
      schemas: { Problem: schemaOf(problemSchema, 'output') },
      securitySchemes: {
        operatorKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'A keywarden API key with keywarden:* scopes',
        },
      },
    },
  };
}
