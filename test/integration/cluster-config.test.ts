/**
 * The production topology's files agree with each other: docker-compose.yml
 * (which no machine here can run) uses the same server config, schema script
 * and search attributes as `npm run cluster` and `npm run chaos`, which CI runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../../config';
import { SEARCH_ATTRIBUTES } from '../../scripts/temporal';

interface Service {
  image?: string;
  volumes?: string[];
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
}
const compose = parse(readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};

describe('docker-compose.yml and the native cluster', () => {
  it('registers exactly the search attributes the platform sets', () => {
    const script = compose.services['temporal-setup']!.command!.join(' ');
    const listed = [...script.matchAll(/(Graph\w+):(\w+)/g)].map((m) => [m[1], m[2]]);
    expect(listed.sort()).toEqual(
      SEARCH_ATTRIBUTES.map(([name, type]) => [name, type.replace(/^./, (c) => c.toUpperCase())]).sort(),
    );
  });

  it('runs the server and the schema step from deploy/temporal, as npm run cluster does', () => {
    for (const name of ['temporal', 'temporal-schema']) {
      const service = compose.services[name]!;
      expect(service.image, name).not.toMatch(/auto-setup/);
      expect(service.volumes, name).toContain('./deploy/temporal:/etc/graphflow-temporal:ro');
    }
    expect(compose.services.temporal!.entrypoint!.join(' ')).toContain(
      '--root /etc/graphflow-temporal --config config --env graphflow',
    );
    expect(compose.services['temporal-schema']!.entrypoint!.join(' ')).toContain(
      '/etc/graphflow-temporal/setup-schema.sh',
    );
    for (const file of ['config/graphflow.yaml', 'dynamicconfig/graphflow.yaml', 'setup-schema.sh'])
      expect(existsSync(path.join(projectRoot, 'deploy', 'temporal', file)), file).toBe(true);
  });

  it('keeps the server config a template of the environment, with loopback defaults', () => {
    const config = readFileSync(path.join(projectRoot, 'deploy', 'temporal', 'config', 'graphflow.yaml'), 'utf8');
    // The server renders it only when this comment is in its first kilobyte.
    expect(config.slice(0, 1024)).toMatch(/^# enable-template/m);
    expect(config).toContain('pluginName: postgres12');
    expect(config).toMatch(/TEMPORAL_BIND_IP" \| default "127\.0\.0\.1"/);
    for (const variable of Object.keys(compose.services.temporal!.environment!))
      expect(config, variable).toContain(`"${variable}"`);
  });
});
