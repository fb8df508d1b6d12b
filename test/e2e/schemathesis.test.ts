/**
 * An independent fuzzer against the running stack: schemathesis (PyPI, pinned in
 * scripts/ensure-schemathesis.ts) reads the served OpenAPI document and checks that the API does
 * what the document says, and only that. Every check it has runs (see `config` for the few that
 * cannot, and why), among them:
 *   - not_a_server_error: never a 5xx;
 *   - status_code_conformance: every status answered is one the operation documents;
 *   - response_schema_conformance, content_type_conformance, response_headers_conformance;
 *   - positive_data_acceptance: a request the document calls valid is not refused with a 400;
 *   - negative_data_rejection: a request the document calls invalid is refused;
 *   - missing_required_header: leaving out a required header (Idempotency-Key) is a 4xx;
 *   - unsupported_method: a method the document does not declare on a path is 405 with Allow;
 *   - ignored_auth: an operation that declares authentication refuses a request without it.
 * Requests are sent as a funded distributor (it moves money, manages a retailer, and sees its own
 * records), with a fixed seed and a bounded number of examples an operation. The formats the
 * document names beyond JSON Schema's (aadhaar, the cursors) get generators in schemathesis_hooks.py.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { ApiClient, adminKey } from '../support/api';
import { testDb } from '../support/db';
import { addUser, fund, type Member } from '../support/people';
import { startStack, type TestStack } from '../support/stack';
import { SCHEMATHESIS_BIN } from '../../scripts/ensure-schemathesis';

const SEED = Number(process.env.SCHEMATHESIS_SEED ?? 20261126);
const MAX_EXAMPLES = Number(process.env.SCHEMATHESIS_EXAMPLES ?? 8);

let stack: TestStack;
let db: Db;
let dist: Member;
let work: string;

before(async () => {
  stack = await startStack({
    env: { AUTH_RATE_LIMIT_PER_IP: '100000', API_RATE_LIMIT_PER_MINUTE: '100000' },
  });
  db = testDb();
  const admin = new ApiClient(stack.api.url, await adminKey(db));
  const md = await addUser(admin, 'master_distributor');
  dist = await addUser(md.api, 'distributor');
  await addUser(dist.api, 'retailer');
  await fund(admin, dist, 1_000_000);
  work = fs.mkdtempSync(path.join(process.env.TIJORI_TEST_WORKDIR ?? os.tmpdir(), 'schemathesis-'));
});

after(async () => {
  await stack?.stop();
  await db?.destroy();
});

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: work,
      env: { ...process.env, NO_COLOR: '1', PYTHONPATH: __dirname, SCHEMATHESIS_HOOKS: 'schemathesis_hooks' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * What the run is told beyond the document, each for the reason given:
 *   - object_level_authorization needs a second caller's credentials in its own configuration,
 *     and use_after_free and ensure_resource_availability belong to the stateful phase, which
 *     does not run (its request chains do not fit the time budget); tenancy is tested by
 *     test/e2e/tenancy.test.ts;
 *   - no NUL and only UTF-8: the API refuses text PostgreSQL cannot store in every field, known or
 *     not (src/http/input-guard.ts, the document's description says so), a rule JSON Schema cannot
 *     put on the extra properties every body allows;
 *   - a well-formed request may still meet a business rule (API.md: 422, e.g. insufficient funds,
 *     an operator the catalog does not have) or a provider that is down (503 UNAVAILABLE,
 *     documented where it happens): not a refusal of valid data, and not a server error;
 *   - POST /v1/transfers, POST /v1/users and POST /v1/recharges: schema-valid requests are
 *     refused with 400 by rules across fields (or against the catalog) that JSON Schema cannot
 *     state: from and to must differ; a role is placed only below the roles that may have it; a
 *     subscriber's form depends on the operator's kind (prepaid mobile, DTH id). PUT /v1/me/mpin:
 *     changing an mPIN once one is set needs currentMpin (400), which depends on state, not on
 *     the request. POST /v1/webhook-endpoints: a URL is accepted only if it resolves to a public
 *     address (src/webhooks/ssrf.ts), which depends on DNS, not on the request. The period reports
 *     (commissions, recharges, provider reconciliation): from must not be after to. Valid-data
 *     acceptance is not checked there; every other check is.
 */
const config = `
[checks]
object_level_authorization.enabled = false
use_after_free.enabled = false
ensure_resource_availability.enabled = false

[generation]
allow-x00 = false
codec = "utf-8"

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429", "503"]

[checks.not_a_server_error]
expected-statuses = ["2xx", "3xx", "4xx", "503"]

[[operations]]
include-operation-id = "postTransfers"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "postUsers"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "postRecharges"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "putMeMpin"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "postWebhookEndpoints"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id-regex = "^(getReportsCommissions|getReportsRecharges|postReportsProviderReconciliation)$"
checks.positive_data_acceptance.enabled = false
`;

// About 80 s on an idle 2-core machine; the limit leaves room for a machine busy with more.
test('schemathesis finds nothing the document does not say', { timeout: 480_000 }, async () => {
  const doc = await (await fetch(`${stack.api.url}/v1/openapi.json`)).json();
  const docPath = path.join(work, 'openapi.json');
  fs.writeFileSync(docPath, JSON.stringify(doc));
  const configPath = path.join(work, 'schemathesis.toml');
  fs.writeFileSync(configPath, config);
  const started = Date.now();
  const { code, output } = await run(SCHEMATHESIS_BIN, [
    '--config-file',
    configPath,
    'run',
    docPath,
    '--url',
    stack.api.url,
    '-H',
    `Authorization: Bearer ${dist.key}`,
    '--phases',
    'examples,coverage,fuzzing',
    '--max-examples',
    String(MAX_EXAMPLES),
    '--seed',
    String(SEED),
    '--workers',
    '2',
    '--no-shrink',
    '--request-timeout',
    '35',
    '--suppress-health-check',
    'all',
  ]);
  console.log(output);
  console.log(`schemathesis: exit ${code} in ${Date.now() - started} ms (seed ${SEED}, ${MAX_EXAMPLES} examples)`);
  assert.equal(code, 0, 'schemathesis found failures (above)');
});
