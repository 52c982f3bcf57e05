import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifests, readManifestSources } from './manifests.ts';

describe('parseManifests', () => {
  it('splits YAML documents, skips empty ones and flattens Lists', () => {
    const text = '---\nkind: Pod\nmetadata: {name: a}\n---\n---\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: b}\n- kind: Node\n  metadata: {name: n}\n';
    const set = parseManifests(text, 'f.yaml');
    expect(set.errors).toEqual([]);
    expect(set.documents.map((d) => [d.source, d.object['kind'], (d.object['metadata'] as { name: string }).name])).toEqual([
      ['f.yaml', 'Pod', 'a'],
      ['f.yaml', 'Pod', 'b'],
      ['f.yaml', 'Node', 'n'],
    ]);
  });

  it('flattens kubectl get -o yaml output (PodList)', () => {
    const set = parseManifests('apiVersion: v1\nkind: PodList\nitems:\n- kind: Pod\n  metadata: {name: a}\n', 'list.yaml');
    expect(set.documents).toHaveLength(1);
  });

  it('reports a broken document and keeps the good ones', () => {
    const set = parseManifests('kind: Pod\nmetadata: {name: a}\n---\nkind: [unclosed\n', 'bad.yaml');
    expect(set.documents).toHaveLength(1);
    expect(set.errors).toHaveLength(1);
    expect(set.errors[0]).toMatch(/^error parsing bad\.yaml: /);
  });

  it('parses .json files as JSON and rejects non-objects', () => {
    expect(parseManifests('{"kind":"Pod","metadata":{"name":"a"}}', 'a.json').documents).toHaveLength(1);
    expect(parseManifests('{"kind":', 'b.json').errors[0]).toMatch(/^error parsing b\.json: /);
    expect(parseManifests('- 1\n- 2\n', 'c.yaml').errors[0]).toContain('the document is not an object');
  });
});

describe('readManifestSources', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-'));
    await mkdir(join(dir, 'set'));
    await writeFile(join(dir, 'set', 'b.yaml'), 'kind: Pod\nmetadata: {name: b}\n');
    await writeFile(join(dir, 'set', 'a.yml'), 'kind: Pod\nmetadata: {name: a}\n');
    await writeFile(join(dir, 'set', 'c.json'), '{"kind":"Pod","metadata":{"name":"c"}}');
    await writeFile(join(dir, 'set', 'notes.txt'), 'ignored');
    await mkdir(join(dir, 'empty'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a folder in name order, then stdin, in argument order', async () => {
    const set = await readManifestSources([join(dir, 'set'), '-'], async () => 'kind: Node\nmetadata: {name: n}\n');
    expect(set.errors).toEqual([]);
    expect(set.documents.map((d) => (d.object['metadata'] as { name: string }).name)).toEqual(['a', 'b', 'c', 'n']);
    expect(set.documents[3]!.source).toBe('-');
  });

  it('reports missing paths and folders without manifests', async () => {
    const set = await readManifestSources([join(dir, 'nope.yaml'), join(dir, 'empty')], async () => '');
    expect(set.errors).toEqual([
      `the path "${join(dir, 'nope.yaml')}" does not exist`,
      `error reading [${join(dir, 'empty')}]: recognized file extensions are [.json .yaml .yml]`,
    ]);
  });
});
