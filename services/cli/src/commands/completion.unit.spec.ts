import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cli } from '../cli-harness.ts';

/**
 * Runs the generated bash script the way bash's completion does: COMP_WORDS/COMP_CWORD set, the
 * function called, COMPREPLY printed. `flotilla` itself is a shell function standing in for the CLI.
 */
function complete(script: string, line: string): string[] {
  const words = line.split(' ');
  const program = `
flotilla() { if [ "$1 $2 $3 $4" = "get pods -o name" ]; then printf 'pod/web\\npod/db\\n'; elif [ "$1 $2" = "get nodes" ]; then printf 'node/node-1\\n'; fi; }
${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
_flotilla
printf '%s\\n' "\${COMPREPLY[@]}"
`;
  const result = spawnSync('bash', ['-c', program], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bash failed: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean).sort();
}

describe('flotilla completion', () => {
  it('prints a bash script that completes commands, resource types, object names and flags', async () => {
    const run = await cli(['completion', 'bash']);
    expect(run.code).toBe(0);
    const script = run.out;
    expect(complete(script, 'flotilla ge')).toEqual(['get']);
    expect(complete(script, 'flotilla get ')).toEqual(expect.arrayContaining(['nodes', 'pods', 'replicasets', 'events']));
    expect(complete(script, 'flotilla get pods ')).toEqual(expect.arrayContaining(['db', 'web']));
    expect(complete(script, 'flotilla logs w')).toEqual(['web']);
    expect(complete(script, 'flotilla cordon ')).toEqual(expect.arrayContaining(['node-1']));
    expect(complete(script, 'flotilla get pods --wa')).toEqual(['--watch']);
    // A command added to the program completes without this script knowing it by name.
    expect(complete(script, 'flotilla hist')).toEqual(['history']);
  });

  it('prints a zsh script through bashcompinit, and refuses other shells', async () => {
    const zsh = await cli(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.out).toMatch(/^#compdef flotilla\n/);
    expect(zsh.out).toContain('bashcompinit');
    const fish = await cli(['completion', 'fish']);
    expect(fish.code).toBe(1);
    expect(fish.err).toContain('unsupported shell "fish"; supported: bash, zsh');
  });
});
