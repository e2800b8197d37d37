import { z } from 'zod';
import { REQUEST_STATES } from './request-model.js';

/** How many requests one page of the issuance list holds unless asked otherwise, and at most. */
export const PAGE_SIZE_DEFAULT = 200;
export const PAGE_SIZE_MAX = 1000;

/** What the issuance list can be filtered by: a request state, or `superseded` (the requests re-issues replaced). */
export const LIST_STATES = [...REQUEST_STATES, 'superseded'] as const;
export type ListState = (typeof LIST_STATES)[number];

/** The paging and filter fields of the issuance list, shared by the JSON API and the dashboard's URL. */
export const listFields = {
  state: z.enum(LIST_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  skip: z.coerce.number().int().min(0).default(0),
};
