import { describe, expect, it } from 'vitest';
import { DESCRIBE_OPTIONS, PrefixWriter, TABLE_OPTIONS, formatTable, tabwrite } from './tabwriter.ts';

describe('tabwrite (Go text/tabwriter)', () => {
  it('pads every column but the last to its widest cell plus padding', () => {
    expect(tabwrite('NAME\tREADY\tAGE\nweb\t1/1\t5m\n', TABLE_OPTIONS)).toBe('NAME   READY   AGE\nweb    1/1     5m\n');
  });

  it('applies the minimum width', () => {
    expect(tabwrite('A\tB\nx\ty\n', TABLE_OPTIONS)).toBe('A     B\nx     y\n');
  });

  it('aligns a column only over consecutive lines that have it (blocks)', () => {
    const text = 'Name:\tweb\nNamespace:\tdefault\nContainers:\n  c:\n    Image:\tnginx\n    Restart Count:\t0\nQoS Class:\tBestEffort\n';
    expect(tabwrite(text, DESCRIBE_OPTIONS)).toBe(
      [
        'Name:       web',
        'Namespace:  default',
        'Containers:',
        '  c:',
        '    Image:          nginx',
        '    Restart Count:  0',
        'QoS Class:          BestEffort',
        '',
      ].join('\n'),
    );
  });

  it('nests blocks per column, as in a table following a heading cell', () => {
    const text = 'Non-terminated Pods:\t(1 in total)\n  Namespace\tName\t\tCPU\n  default\tweb\t\t100m\n';
    expect(tabwrite(text, DESCRIBE_OPTIONS)).toBe(
      ['Non-terminated Pods:  (1 in total)', '  Namespace           Name    CPU', '  default             web     100m', ''].join('\n'),
    );
  });

  it('keeps text after the last newline without adding one', () => {
    expect(tabwrite('a\tb\nccc\td', DESCRIBE_OPTIONS)).toBe('a    b\nccc  d');
  });

  it('counts characters, not bytes', () => {
    expect(tabwrite('é\tx\nab\ty\n', DESCRIBE_OPTIONS)).toBe('é   x\nab  y\n');
  });
});

describe('PrefixWriter', () => {
  it('indents by level and formats separately around a flush', () => {
    const w = new PrefixWriter();
    w.write(0, 'Long heading:\tx\n');
    w.flush();
    w.write(1, 'A:\ty\n');
    expect(w.toString()).toBe('Long heading:  x\n  A:  y\n');
  });

  it('drops terminal control characters from values', () => {
    const w = new PrefixWriter();
    w.write(0, 'Name:\tevil\u001b[31mred\n');
    expect(w.toString()).toBe('Name:  evil[31mred\n');
  });
});

describe('formatTable', () => {
  it('keeps a cell with a tab or newline on one line', () => {
    expect(formatTable(['NAME', 'MESSAGE'], [['a', 'two\nlines\tand tab']])).toBe('NAME   MESSAGE\na      two lines and tab\n');
  });
});
