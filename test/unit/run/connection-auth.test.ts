import { bearerFromAuthorization } from '../../../src/api/admin-queues';
import { authorizationFromParams } from '../../../src/api/subscriptions';

// How the token reaches the team service from the two non-GraphQL-over-HTTP entry points.
describe('authorizationFromParams (graphql-ws connection params)', () => {
  it('accepts authorization, Authorization or a bare token', () => {
    expect(authorizationFromParams({ authorization: 'Bearer dms_a_b' })).toBe('Bearer dms_a_b');
    expect(authorizationFromParams({ Authorization: 'Bearer dms_a_b' })).toBe('Bearer dms_a_b');
    expect(authorizationFromParams({ token: 'dms_a_b' })).toBe('Bearer dms_a_b');
  });

  it('gives nothing for missing or non-string params', () => {
    expect(authorizationFromParams(undefined)).toBeUndefined();
    expect(authorizationFromParams({ authorization: 42 })).toBeUndefined();
  });
});

describe('bearerFromAuthorization (/admin/queues)', () => {
  it('passes Bearer through and turns Basic into Bearer with the password as token', () => {
    expect(bearerFromAuthorization('Bearer dms_a_b')).toBe('Bearer dms_a_b');
    expect(bearerFromAuthorization(`Basic ${Buffer.from('admin:dms_a_b').toString('base64')}`)).toBe('Bearer dms_a_b');
  });

  it('gives nothing usable for Basic without a colon', () => {
    expect(bearerFromAuthorization(`Basic ${Buffer.from('just-a-user').toString('base64')}`)).toBeUndefined();
  });
});
