// The fake must keep the ScalewayClient contract the HTTP client keeps against the sandbox, or
// executor tests written against it would prove nothing (STYLE: contract suites for fakes).
import { describeScalewayClientContract } from '../contract/scaleway-client.contract.js';
import { FakeScalewayClient } from './fake-scaleway.js';

describeScalewayClientContract('FakeScalewayClient', async () => {
  const client = new FakeScalewayClient();
  return {
    client,
    seedApplications: (n, prefix) => {
      client.seed({ applications: Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${i}` })) });
    },
    teardown: async () => undefined,
  };
});
