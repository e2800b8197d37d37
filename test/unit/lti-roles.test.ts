import { describe, expect, it } from '@jest/globals';
import { mapRoles } from '../../src/lti/roles.js';
import { nextLink } from '../../src/lti/service-client.js';
import { lineItemSubUrl } from '../../src/lti/ags.js';

describe('LTI role mapping', () => {
  it.each([
    [['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'], 'instructor'],
    [['http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant'], 'instructor'],
    [['Instructor'], 'instructor'],
    [['urn:lti:role:ims/lis/Instructor'], 'instructor'],
    [['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'], 'learner'],
    [['Learner'], 'learner'],
    [
      [
        'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
        'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
      ],
      'admin',
    ],
    [['http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator'], 'admin'],
    [[], 'learner'],
    [['http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor'], 'learner'],
  ])('%j -> %s', (roles, expected) => {
    expect(mapRoles(roles)).toBe(expected);
  });
});

describe('paging and URLs', () => {
  it('follows rel="next" on the same origin only', () => {
    const base = 'https://lms.example/x?limit=10';
    expect(
      nextLink('<https://lms.example/x?from=10>; rel="next", <https://lms.example/x>; rel="first"', base),
    ).toBe('https://lms.example/x?from=10');
    expect(nextLink('<https://evil.example/x>; rel="next"', base)).toBeUndefined();
    expect(nextLink('<https://lms.example/x>; rel="prev"', base)).toBeUndefined();
    expect(nextLink(null, base)).toBeUndefined();
  });

  it('adds results/scores to a line item path and keeps its query', () => {
    expect(lineItemSubUrl('http://m/mod/lti/services.php/2/lineitems/11/lineitem?type_id=2', 'results')).toBe(
      'http://m/mod/lti/services.php/2/lineitems/11/lineitem/results?type_id=2',
    );
  });
});
