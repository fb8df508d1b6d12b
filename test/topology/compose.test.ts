import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { load } from 'js-yaml';
import {
  defaultTemporalPorts,
  dynamicConfigFile,
  findTemporalServerTools,
  serverConfigRoot,
  serverEnvironment,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_VERSION,
} from '../../dev/infra/temporal-server';

// docker-compose.yml and `npm run start:cluster` must run the same Temporal server from the same
// configuration: the compose file pins the version dev/infra/temporal-server.ts builds, mounts
// deploy/temporal and starts the server from it; both renderings of the template are checked.

const root = path.resolve(__dirname, '..', '..');
const templateFile = path.join(serverConfigRoot, 'config', 'tijori.yaml');

interface Service {
  image?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  deploy?: { replicas?: number };
}
const compose = load(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const services = compose.services;
const temporalService = services.temporal!;
const version = TEMPORAL_SERVER_VERSION.slice(1);
const words = (s: Service) => [s.entrypoint, s.command].flat().filter(Boolean).join(' ');

/** The directory compose mounts deploy/temporal at. */
function mountPoint(): string {
  const mounts = (temporalService.volumes ?? []).map((v) => v.split(':'));
  const m = mounts.find(([from]) => path.resolve(root, from!) === serverConfigRoot);
  assert.ok(
    m,
    `the temporal service mounts ${path.relative(root, serverConfigRoot)}: ${JSON.stringify(temporalService.volumes)}`,
  );
  return m[1]!;
}

function render(env: Record<string, string>): Record<string, unknown> {
  const tools = findTemporalServerTools();
  assert.ok(tools, 'the Temporal server is built (npm run temporal:server:build)');
  // render-config reads --config as a path of its own (it ignores --root).
  const out = execFileSync(
    tools.server,
    ['--config', path.join(serverConfigRoot, 'config'), '--env', 'tijori', 'render-config'],
    { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return load(out) as Record<string, unknown>;
}

interface Rendered {
  persistence: {
    numHistoryShards: number;
    datastores: Record<string, { sql: { pluginName: string; connectAddr: string; databaseName: string } }>;
  };
  services: Record<string, { rpc: { bindOnIP: string; grpcPort: number; membershipPort: number } }>;
  global: { membership: { broadcastAddress: string } };
  dynamicConfigClient: { filepath: string };
}

test('compose pins the server version that start:cluster builds, and the same UI and admin tools', () => {
  assert.equal(temporalService.image, `temporalio/server:${version}`);
  assert.equal(services['temporal-schema']!.image, `temporalio/admin-tools:${version}`);
  assert.equal(services['temporal-admin-tools']!.image, `temporalio/admin-tools:${version}`);
  assert.equal(services['temporal-ui']!.image, `temporalio/ui:${TEMPORAL_UI_VERSION.slice(1)}`);
  // No other Temporal image sneaks in under another version.
  for (const [name, s] of Object.entries(services)) {
    if (s.image?.startsWith('temporalio/') && !s.image.startsWith('temporalio/ui:')) {
      assert.ok(s.image.endsWith(`:${version}`), `${name}: ${s.image}`);
    }
  }
});

test('compose runs the server from the mounted repository configuration, not the image’s own', () => {
  const mount = mountPoint();
  const cmd = words(temporalService);
  assert.match(cmd, new RegExp(`temporal-server --root ${mount} --config config --env tijori --allow-no-auth start`));
  assert.ok(fs.existsSync(templateFile));
  // The dynamic config it names is the repository's file, seen through the mount.
  const dyn = String(temporalService.environment?.TEMPORAL_DYNAMIC_CONFIG_FILE);
  assert.equal(path.join(serverConfigRoot, path.relative(mount, dyn)), dynamicConfigFile);
  // Every TEMPORAL_* variable compose sets is one the template reads (a typo would be ignored).
  const template = fs.readFileSync(templateFile, 'utf8');
  for (const key of Object.keys(temporalService.environment ?? {})) {
    if (key === 'TEMPORAL_VERSION_CHECK_DISABLED') continue;
    assert.ok(template.includes(`env "${key}"`), `${key} is not read by ${path.relative(root, templateFile)}`);
  }
  // Schema setup and the server agree on the plugin and the schemas.
  assert.equal(services['temporal-schema']!.environment?.SQL_PLUGIN, 'postgres12_pgx');
  assert.match(words(services['temporal-schema']!), /--schema-name "postgresql\/v12\/\$\$schema"/);
  assert.match(template, /pluginName: postgres12_pgx/);
});

test('compose scales out: two API and two worker replicas', () => {
  assert.equal(services.api!.deploy?.replicas, 2);
  assert.equal(services.worker!.deploy?.replicas, 2);
});

test('the one template renders for compose: compose’s database, 4 shards, reachable from other containers', () => {
  const env = Object.fromEntries(Object.entries(temporalService.environment ?? {}).map(([k, v]) => [k, String(v)]));
  const c = render({ ...env, TEMPORAL_BROADCAST_ADDRESS: '172.18.0.5' }) as unknown as Rendered;
  assert.equal(c.persistence.numHistoryShards, 4);
  for (const store of Object.values(c.persistence.datastores)) {
    assert.equal(store.sql.pluginName, 'postgres12_pgx');
    assert.equal(store.sql.connectAddr, 'temporal-db:5432');
  }
  assert.deepEqual(
    Object.values(c.persistence.datastores)
      .map((d) => d.sql.databaseName)
      .sort(),
    ['temporal', 'temporal_visibility'],
  );
  for (const s of Object.values(c.services)) assert.equal(s.rpc.bindOnIP, '0.0.0.0');
  assert.equal(c.global.membership.broadcastAddress, '172.18.0.5');
  assert.equal(c.dynamicConfigClient.filepath, '/etc/tijori/temporal/dynamicconfig.yaml');
});

test('the one template renders for start:cluster: everything on 127.0.0.1, membership ports below 32768', () => {
  const c = render(
    serverEnvironment({
      db: {
        host: '127.0.0.1',
        port: 5433,
        user: 'postgres',
        password: 'x',
        database: 'temporal',
        visibilityDatabase: 'temporal_visibility',
      },
      shards: 8,
      ports: defaultTemporalPorts,
    }),
  ) as unknown as Rendered;
  assert.equal(c.persistence.numHistoryShards, 8);
  for (const store of Object.values(c.persistence.datastores)) assert.equal(store.sql.connectAddr, '127.0.0.1:5433');
  assert.deepEqual(Object.keys(c.services).sort(), ['frontend', 'history', 'matching', 'worker']);
  for (const s of Object.values(c.services)) {
    assert.equal(s.rpc.bindOnIP, '127.0.0.1');
    assert.ok(s.rpc.membershipPort < 32768, String(s.rpc.membershipPort));
  }
  assert.equal(c.services.frontend!.rpc.grpcPort, 7233);
  assert.equal(c.dynamicConfigClient.filepath, dynamicConfigFile);
  const dyn = load(fs.readFileSync(dynamicConfigFile, 'utf8')) as Record<string, Array<{ value: unknown }>>;
  assert.equal(dyn['frontend.enableServerVersionCheck']?.[0]?.value, false);
});
