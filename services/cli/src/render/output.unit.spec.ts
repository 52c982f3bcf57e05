import { describe, expect, it } from 'vitest';
import { parseOutputFormat, printNames, printObjects } from './output.ts';

describe('-o json|yaml|name', () => {
  const a = { kind: 'Pod', metadata: { name: 'a', labels: { z: '1', a: '2' } }, spec: { containers: [{ name: 'c' }] } };

  it('prints one named object as itself in JSON indented by 4', () => {
    expect(printObjects('json', [a], true)).toBe(`${JSON.stringify(a, null, 4)}\n`);
  });

  it('wraps several objects in a v1 List', () => {
    expect(JSON.parse(printObjects('json', [a, a], false))).toEqual({ apiVersion: 'v1', items: [a, a], kind: 'List', metadata: { resourceVersion: '' } });
  });

  it('prints YAML with sorted keys and unindented sequences, like kubectl', () => {
    expect(printObjects('yaml', [a], true)).toBe(
      ['kind: Pod', 'metadata:', '  labels:', '    a: "2"', '    z: "1"', '  name: a', 'spec:', '  containers:', '  - name: c', ''].join('\n'),
    );
  });

  it('prints kind/name', () => {
    expect(printNames('pod', ['a', 'b'])).toBe('pod/a\npod/b\n');
  });

  it('accepts only known formats', () => {
    expect(parseOutputFormat(undefined)).toBe('table');
    expect(parseOutputFormat('wide')).toBe('wide');
    expect(parseOutputFormat('jsonpath')).toBeUndefined();
  });
});
