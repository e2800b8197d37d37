import { MEDIA, SCOPE } from './constants.js';
import { mapRoles, type AppRole } from './roles.js';
import type { ServiceClient } from './service-client.js';

export interface Member {
  user_id: string;
  roles: string[];
  status?: 'Active' | 'Inactive' | 'Deleted';
  name?: string;
  given_name?: string;
  family_name?: string;
  email?: string;
  lis_person_sourcedid?: string;
}

export interface RosterMember extends Member {
  /** Credbridge's reading of `roles`, which may be URIs or (Moodle) short names. */
  appRole: AppRole;
}

/** The members who may earn a credential: learners the roster lists as active (no status means active). */
export function activeLearners(members: RosterMember[]): RosterMember[] {
  return members.filter((m) => m.appRole === 'learner' && (m.status ?? 'Active') === 'Active');
}

/** A member's name as the roster gives it, else built from its parts, else the LMS's user id. */
export function memberName(m: Member): string {
  return m.name || [m.given_name, m.family_name].filter(Boolean).join(' ') || m.user_id;
}

interface MembershipContainer {
  members?: Member[];
}

/** LTI Names and Role Provisioning Services 2.0 client for one platform. */
export class NrpsClient {
  constructor(private readonly client: ServiceClient) {}

  async listMembers(
    membershipsUrl: string,
    filter: { role?: string; limit?: number } = {},
  ): Promise<RosterMember[]> {
    const url = new URL(membershipsUrl);
    if (filter.role) url.searchParams.set('role', filter.role);
    url.searchParams.set('limit', String(filter.limit ?? 500));
    const members = await this.client.all<Member, MembershipContainer>(
      url.toString(),
      [SCOPE.nrps],
      MEDIA.memberships,
      (page) => page?.members ?? [],
    );
    return members.map((m) => ({ ...m, appRole: mapRoles(m.roles ?? []) }));
  }
}
