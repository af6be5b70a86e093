import { z } from 'zod';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses, listOf, pageQuery, uuid } from '../../http/common-schemas.ts';
import { noteBody, salesRecordResponse, salesSchemas } from './sales.schemas.ts';
import { type SalesService, salesResources } from './sales.service.ts';

const idParam = { organisations: 'organisationId', leads: 'leadId', deals: 'dealId' } as const;

/** `/sales/*`: the pipeline, for sales staff only. */
export function registerSalesRoutes(
  api: ApiInstance,
  services: { readonly sales: SalesService },
): void {
  for (const resource of salesResources) {
    const param = idParam[resource];
    const params = z.object({ [param]: uuid }).strict();
    const schemas = salesSchemas[resource];
    api.get(
      `/sales/${resource}`,
      {
        schema: {
          tags: ['sales'],
          summary: `Sales ${resource}, newest first (sales staff)`,
          querystring: pageQuery,
          response: { 200: listOf(salesRecordResponse), ...errorResponses },
        },
      },
      async (request) => services.sales.list(callerOf(request), resource, request.query),
    );
    api.post(
      `/sales/${resource}`,
      {
        schema: {
          tags: ['sales'],
          summary: `Create one of the sales ${resource} (sales staff)`,
          body: schemas.create,
          response: { 201: salesRecordResponse, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(await services.sales.create(callerOf(request), resource, request.body)),
    );
    api.get(
      `/sales/${resource}/:${param}`,
      {
        schema: {
          tags: ['sales'],
          summary: `One of the sales ${resource} (sales staff)`,
          params,
          response: { 200: salesRecordResponse, ...errorResponses },
        },
      },
      async (request) =>
        services.sales.get(
          callerOf(request),
          resource,
          (request.params as Record<string, string>)[param] ?? '',
        ),
    );
    api.patch(
      `/sales/${resource}/:${param}`,
      {
        schema: {
          tags: ['sales'],
          summary: `Change one of the sales ${resource} (sales staff)`,
          params,
          body: schemas.patch,
          response: { 200: salesRecordResponse, ...errorResponses },
        },
      },
      async (request) =>
        services.sales.update(
          callerOf(request),
          resource,
          (request.params as Record<string, string>)[param] ?? '',
          request.body,
        ),
    );
  }

  const organisationParams = z.object({ organisationId: uuid }).strict();
  api.get(
    '/sales/organisations/:organisationId/notes',
    {
      schema: {
        tags: ['sales'],
        summary: 'Notes on an organisation, newest first (sales staff)',
        params: organisationParams,
        querystring: pageQuery,
        response: { 200: listOf(salesRecordResponse), ...errorResponses },
      },
    },
    async (request) =>
      services.sales.listNotes(callerOf(request), request.params.organisationId, request.query),
  );
  api.post(
    '/sales/organisations/:organisationId/notes',
    {
      schema: {
        tags: ['sales'],
        summary: 'Add a note on an organisation (sales staff)',
        params: organisationParams,
        body: noteBody,
        response: { 201: salesRecordResponse, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await services.sales.addNote(
            callerOf(request),
            request.params.organisationId,
            request.body,
          ),
        ),
  );
}
