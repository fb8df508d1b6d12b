import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { generatedSchema, schemaFile } from '../../../scripts/portal-api-types';

test("the portal's API types are those of the OpenAPI document the API serves", async () => {
  const committed = fs.readFileSync(schemaFile, 'utf8');
  assert.ok(
    committed === (await generatedSchema()),
    'portal/src/api/schema.d.ts is stale: run npm run portal:api-types and commit it',
  );
});
