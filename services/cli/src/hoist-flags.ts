// kubectl accepts namespace flags before the verb (`kubectl -n team-a get pods`); commander only
// knows them on each subcommand. Moving them behind the verb keeps one definition of each flag.

const WITH_VALUE = new Set(['-n', '--namespace']);
const BARE = new Set(['-A', '--all-namespaces']);

export function hoistNamespaceFlags(argv: readonly string[]): string[] {
  const moved: string[] = [];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) break;
    if (WITH_VALUE.has(arg) && i + 1 < argv.length) moved.push(arg, argv[++i]!);
    else if (arg.startsWith('--namespace=') || BARE.has(arg) || /^-n.+/.test(arg)) moved.push(arg);
    else if ((arg === '-s' || arg === '--server' || arg === '--request-timeout') && i + 1 < argv.length) rest.push(arg, argv[++i]!);
    else rest.push(arg);
  }
  if (moved.length === 0 || i >= argv.length) return [...argv];
  return [...rest, argv[i]!, ...moved, ...argv.slice(i + 1)];
}
