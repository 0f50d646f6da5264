// Reads differential test cases as JSON on stdin and prints, for each, the
// decision of @cloud-copilot/iam-simulate. Used by internal/iam's
// TestDecideAgreesWithIAMSimulate as an independent oracle.
//
// Input:  [{"id": 1, "policies": [<policy document>, ...], "boundary": <policy document> | null,
//           "action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key"}, ...]
// Output: [{"id": 1, "result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied", "error": "..."}, ...]
'use strict';

const { runSimulation } = require('@cloud-copilot/iam-simulate');

const account = '123456789012';

async function decide(c) {
  const simulation = {
    request: {
      principal: `arn:aws:iam::${account}:role/function-role`,
      action: c.action,
      resource: { resource: c.resource, accountId: account },
      contextVariables: {},
    },
    identityPolicies: c.policies.map((policy, i) => ({ name: `policy${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  // KMS honours an identity policy only when the key policy lets the
  // account's IAM policies decide, as the default key policy does; give
  // every key that default, so that the identity policies are what is compared.
  if (c.resource.startsWith('arn:aws:kms:')) {
    simulation.resourcePolicy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
    };
  }
  if (c.boundary) {
    simulation.permissionBoundaryPolicies = [{ name: 'boundary', policy: c.boundary }];
  }
  try {
    const response = await runSimulation(simulation, {});
    if (response.resultType === 'error') {
      return { id: c.id, error: JSON.stringify(response.errors) };
    }
    return { id: c.id, result: response.overallResult };
  } catch (err) {
    return { id: c.id, error: String(err && err.stack ? err.stack : err) };
  }
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const out = [];
  for (const c of cases) out.push(await decide(c));
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
