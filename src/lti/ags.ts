import { MEDIA, SCOPE } from './constants.js';
import type { ServiceClient } from './service-client.js';

export interface LineItem {
  id?: string;
  label: string;
  scoreMaximum: number;
  resourceId?: string;
  resourceLinkId?: string;
  tag?: string;
  startDateTime?: string;
  endDateTime?: string;
}

export interface Result {
  id?: string;
  scoreOf?: string;
  userId: string;
  resultScore?: number;
  resultMaximum?: number;
  comment?: string;
}

export interface Score {
  userId: string;
  scoreGiven?: number;
  scoreMaximum?: number;
  comment?: string;
  timestamp: string;
  activityProgress: 'Initialized' | 'Started' | 'InProgress' | 'Submitted' | 'Completed';
  gradingProgress: 'FullyGraded' | 'Pending' | 'PendingManual' | 'Failed' | 'NotReady';
}

/** Adds `/suffix` to a line item URL's path, keeping its query (Moodle puts `?type_id=` there). */
export function lineItemSubUrl(lineItemUrl: string, suffix: string): string {
  const url = new URL(lineItemUrl);
  url.pathname = url.pathname.replace(/\/$/, '') + '/' + suffix;
  return url.toString();
}

function withParams(base: string, params: Record<string, string | number | undefined>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

/** LTI Assignment and Grade Services 2.0 client for one platform. */
export class AgsClient {
  constructor(private readonly client: ServiceClient) {}

  listLineItems(
    lineItemsUrl: string,
    filter: { resourceLinkId?: string; tag?: string; resourceId?: string; limit?: number } = {},
  ): Promise<LineItem[]> {
    const url = withParams(lineItemsUrl, {
      resource_link_id: filter.resourceLinkId,
      tag: filter.tag,
      resource_id: filter.resourceId,
      limit: filter.limit ?? 100,
    });
    return this.client.all<LineItem, LineItem[]>(
      url,
      [SCOPE.lineItemReadonly],
      MEDIA.lineItems,
      (page) => page ?? [],
    );
  }

  async getLineItem(lineItemUrl: string): Promise<LineItem> {
    return (await this.client.call<LineItem>('GET', lineItemUrl, [SCOPE.lineItemReadonly], MEDIA.lineItem))
      .body;
  }

  async createLineItem(lineItemsUrl: string, item: LineItem): Promise<LineItem> {
    return (
      await this.client.call<LineItem>('POST', lineItemsUrl, [SCOPE.lineItem], MEDIA.lineItem, {
        type: MEDIA.lineItem,
        data: item,
      })
    ).body;
  }

  listResults(lineItemUrl: string, filter: { userId?: string; limit?: number } = {}): Promise<Result[]> {
    const url = withParams(lineItemSubUrl(lineItemUrl, 'results'), {
      user_id: filter.userId,
      limit: filter.limit ?? 500,
    });
    return this.client.all<Result, Result[]>(
      url,
      [SCOPE.resultReadonly],
      MEDIA.results,
      (page) => page ?? [],
    );
  }

  async postScore(lineItemUrl: string, score: Score): Promise<void> {
    await this.client.call('POST', lineItemSubUrl(lineItemUrl, 'scores'), [SCOPE.score], 'application/json', {
      type: MEDIA.score,
      data: score,
    });
  }
}
