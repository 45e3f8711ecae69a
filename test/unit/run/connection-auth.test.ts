import { credentialFromAuthorization } from '../../../src/api/admin-queues';
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

describe('credentialFromAuthorization (/admin/queues)', () => {
  it("takes Bearer's token, or Basic's password", () => {
    expect(credentialFromAuthorization('Bearer op_secret')).toBe('op_secret');
    expect(credentialFromAuthorization(`Basic ${Buffer.from('admin:op:secret').toString('base64')}`)).toBe('op:secret');
  });

  it('gives nothing usable for Basic without a colon, or no header', () => {
    expect(credentialFromAuthorization(`Basic ${Buffer.from('just-a-user').toString('base64')}`)).toBeUndefined();
    expect(credentialFromAuthorization(undefined)).toBeUndefined();
    expect(credentialFromAuthorization('Token x')).toBeUndefined();
  });
});
