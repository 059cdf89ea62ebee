import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without type declarations
import { END, START, optionRows, pluginDirs, renderTable, replaceTable, tableIn } from '../../scripts/config-table.mjs';

const root = path.resolve(__dirname, '../..');
const fixture = (name: string) => path.join(__dirname, 'fixtures', 'plugins', name);
const readme = () => fs.readFileSync(path.join(root, 'README.md'), 'utf8');

describe('the configuration table of plug-in settings', () => {
  it('is generated from each plug-in\'s defineOptions; plug-ins without options add nothing', () => {
    const rows = optionRows([fixture('late-base'), fixture('contract-demo'), fixture('early-dependent')]);
    expect(renderTable(rows)).toBe(
      [
        '| Variable | Default | Meaning |',
        '|---|---|---|',
        '| `CONTRACT_DEMO_BATCH_SIZE` | `50` | tickets handled per run |',
        '| `CONTRACT_DEMO_GREETING` | `Hello` | how a ticket e-mail opens |',
        '| `CONTRACT_DEMO_NIGHTLY` | `true` | whether the nightly run happens |',
      ].join('\n'),
    );
    expect(renderTable(optionRows([fixture('late-base')]))).toBe('No plug-in declares settings yet.');
  });

  it('escapes what would break a Markdown row and says "unset" for no default', () => {
    expect(renderTable([{ plugin: 'demo-thing', key: 'mode', env: 'DEMO_THING_MODE', default: '', description: 'a | b\nc' }])).toContain('| `DEMO_THING_MODE` | unset | a \\| b c |');
  });

  it('replaces only what stands between the markers, and refuses a README without them', () => {
    const text = `# Title\n\nbefore\n${START}\nold table\n${END}\nafter\n`;
    const replaced = replaceTable(text, '| new |');
    expect(replaced).toBe(`# Title\n\nbefore\n${START}\n| new |\n${END}\nafter\n`);
    expect(tableIn(replaced)).toBe('| new |');
    expect(() => replaceTable('# no markers', 'x')).toThrow(/no <!-- plugin-options:start -->/);
  });

  it("README.md's table is what the installed plug-ins' schemas say (node scripts/config-table.mjs --write)", () => {
    expect(tableIn(readme())).toBe(renderTable(optionRows(pluginDirs())));
  });

  it('no generated setting is also described by hand elsewhere in README.md', () => {
    const text = readme();
    const outside = text.slice(0, text.indexOf(START)) + text.slice(text.indexOf(END));
    // The variable cell of each hand-written row (other cells may mention a setting, as UPLOAD_MAX_BYTES does).
    const handVariables = outside.split('\n').filter((line) => line.startsWith('|')).map((line) => line.split('|')[1] ?? '');
    const twice = optionRows(pluginDirs())
      .map((row: { env: string }) => row.env)
      .filter((env: string) => handVariables.some((cell) => cell.includes(`\`${env}\``)));
    expect(twice, 'remove these rows from the hand-written table: the generated one describes them').toEqual([]);
  });
});
