import { describe, it, expect } from 'vitest';
import { renderReply } from './render.js';

type Case = [name: string, markdown: string, plain: string, whatsapp: string, slack: string];

// One entry per row of README §9's table, in its order: [name, markdown, plain, whatsapp, slack].
const TABLE_ROWS: Case[] = [
  ['bold **', 'a **b** c', 'a b c', 'a *b* c', 'a *b* c'],
  ['bold __', 'a __b__ c', 'a b c', 'a *b* c', 'a *b* c'],
  ['italic *', 'a *i* c', 'a i c', 'a _i_ c', 'a _i_ c'],
  ['italic _', 'a _i_ c', 'a i c', 'a _i_ c', 'a _i_ c'],
  ['strikethrough', 'a ~~s~~ c', 'a s c', 'a ~s~ c', 'a ~s~ c'],
  ['code span', 'run `code` now', 'run code now', 'run `code` now', 'run `code` now'],
  [
    'fenced block',
    'Try:\n\n```ts\nconst x = 1;\nlog(x);\n```',
    'Try:\n\nconst x = 1;\nlog(x);',
    'Try:\n\n```\nconst x = 1;\nlog(x);\n```',
    'Try:\n\n```\nconst x = 1;\nlog(x);\n```',
  ],
  [
    'link',
    'See [the docs](https://docs.example.com/a).',
    'See the docs (https://docs.example.com/a).',
    'See the docs (https://docs.example.com/a).',
    'See <https://docs.example.com/a|the docs>.',
  ],
  [
    'link whose text is the url',
    'Go to [https://example.com](https://example.com)',
    'Go to https://example.com',
    'Go to https://example.com',
    'Go to <https://example.com|https://example.com>',
  ],
  [
    'image',
    '![A cat](https://img.example.com/cat.png)',
    'A cat (https://img.example.com/cat.png)',
    'A cat (https://img.example.com/cat.png)',
    '<https://img.example.com/cat.png|A cat>',
  ],
  ['heading level 1', '# Title\n\nBody', 'Title\n\nBody', '*Title*\n\nBody', '*Title*\n\nBody'],
  ['heading level 3', '### Title\nBody', 'Title\nBody', '*Title*\nBody', '*Title*\nBody'],
  ['heading level 6', '###### Deep', 'Deep', '*Deep*', '*Deep*'],
  ['bullet -', '- one\n- two', '- one\n- two', '- one\n- two', '• one\n• two'],
  ['bullet *', '* one\n* two', '- one\n- two', '- one\n- two', '• one\n• two'],
  ['bullet +', '+ one\n+ two', '- one\n- two', '- one\n- two', '• one\n• two'],
  ['ordered list', '1. one\n2. two', '1. one\n2. two', '1. one\n2. two', '1. one\n2. two'],
  [
    'nested list (2-space source)',
    '- a\n  - b\n    - c\n- d',
    '- a\n  - b\n    - c\n- d',
    '- a\n  - b\n    - c\n- d',
    '• a\n    • b\n        • c\n• d',
  ],
  [
    'nested list (4-space source)',
    '- a\n    - b\n        - c',
    '- a\n  - b\n    - c',
    '- a\n  - b\n    - c',
    '• a\n    • b\n        • c',
  ],
  ['quote', '> wise words', 'wise words', '> wise words', '> wise words'],
  [
    'table',
    '| Plan | Price |\n|------|------:|\n| Basic | $5 |\n| Pro | $20 |',
    'Plan | Price\nBasic | $5\nPro | $20',
    'Plan | Price\nBasic | $5\nPro | $20',
    'Plan | Price\nBasic | $5\nPro | $20',
  ],
  ['horizontal rule', 'above\n\n---\n\nbelow', 'above\n\nbelow', 'above\n\nbelow', 'above\n\nbelow'],
  ['horizontal rule ***', 'above\n\n***\n\nbelow', 'above\n\nbelow', 'above\n\nbelow', 'above\n\nbelow'],
  ['inline HTML tags', 'a <span class="x">b</span> c <!-- note -->', 'a b c', 'a b c', 'a b c'],
  ['HTML block', '<div>\nhello\n</div>\n\nafter', 'hello\n\nafter', 'hello\n\nafter', 'hello\n\nafter'],
  [
    'backslash escapes',
    '\\*not bold\\* and 1\\. \\_x\\_ \\# \\[y\\]',
    '*not bold* and 1. _x_ # [y]',
    '*not bold* and 1. _x_ # [y]',
    '*not bold* and 1. _x_ # [y]',
  ],
];

describe('renderReply: README §9 table', () => {
  describe.each(TABLE_ROWS)('%s', (_name, markdown, plain, whatsapp, slack) => {
    it('plain', () => expect(renderReply(markdown, 'plain')).toBe(plain));
    it('whatsapp', () => expect(renderReply(markdown, 'whatsapp')).toBe(whatsapp));
    it('slack', () => expect(renderReply(markdown, 'slack')).toBe(slack));
    it('markdown is unchanged', () => expect(renderReply(markdown, 'markdown')).toBe(markdown));
  });
});

describe('renderReply: code is never converted', () => {
  const span = 'use `**a** _b_ [c](d) <e> & f` here';
  const block = '```python\n# not a heading\n- not a list\nif a < b and **kw:\n    pass\n```';

  it('keeps code span content', () => {
    expect(renderReply(span, 'plain')).toBe('use **a** _b_ [c](d) <e> & f here');
    expect(renderReply(span, 'whatsapp')).toBe('use `**a** _b_ [c](d) <e> & f` here');
  });

  it('only Slack-escapes code span content', () => {
    expect(renderReply(span, 'slack')).toBe('use `**a** _b_ [c](d) &lt;e&gt; &amp; f` here');
  });

  it('keeps code block content', () => {
    const content = '# not a heading\n- not a list\nif a < b and **kw:\n    pass';
    expect(renderReply(block, 'plain')).toBe(content);
    expect(renderReply(block, 'whatsapp')).toBe('```\n' + content + '\n```');
    expect(renderReply(block, 'slack')).toBe(
      '```\n# not a heading\n- not a list\nif a &lt; b and **kw:\n    pass\n```',
    );
  });

  it('treats a fence without a language the same way', () => {
    expect(renderReply('```\nx\n```', 'whatsapp')).toBe('```\nx\n```');
    expect(renderReply('~~~sh\nls\n~~~', 'slack')).toBe('```\nls\n```');
  });
});

describe('renderReply: Slack escaping', () => {
  it('escapes & < > in text', () => {
    expect(renderReply('AT&T says 1 < 2 > 0', 'slack')).toBe('AT&amp;T says 1 &lt; 2 &gt; 0');
  });

  it('leaves generated links unescaped', () => {
    expect(renderReply('[Q&A](https://x.io/?a=1&b=2) & more', 'slack')).toBe(
      '<https://x.io/?a=1&b=2|Q&A> &amp; more',
    );
  });

  it('does not escape generated quote markers', () => {
    expect(renderReply('> a > b', 'slack')).toBe('> a &gt; b');
  });

  it('does not escape in other formats', () => {
    expect(renderReply('AT&T: 1 < 2', 'whatsapp')).toBe('AT&T: 1 < 2');
    expect(renderReply('AT&T: 1 < 2', 'plain')).toBe('AT&T: 1 < 2');
  });
});

describe('renderReply: links', () => {
  it('shows bare and angle-bracket URLs as written', () => {
    const md = 'Visit <https://a.io>, www.b.io or https://c.io/x_y_z/.';
    expect(renderReply(md, 'plain')).toBe('Visit https://a.io, www.b.io or https://c.io/x_y_z/.');
    expect(renderReply(md, 'whatsapp')).toBe('Visit https://a.io, www.b.io or https://c.io/x_y_z/.');
    expect(renderReply(md, 'slack')).toBe(
      'Visit <https://a.io|https://a.io>, <http://www.b.io|www.b.io> or <https://c.io/x_y_z/|https://c.io/x_y_z/>.',
    );
  });

  it('does not read underscores in a bare URL as emphasis', () => {
    expect(renderReply('see https://x.io/_a_/b', 'whatsapp')).toBe('see https://x.io/_a_/b');
  });

  it('renders email autolinks as the address', () => {
    expect(renderReply('Write to <help@x.io>', 'plain')).toBe('Write to help@x.io');
    expect(renderReply('Write to <help@x.io>', 'slack')).toBe('Write to <mailto:help@x.io|help@x.io>');
  });

  it('keeps formatting inside link text except in Slack labels', () => {
    const md = '[**Pricing** page](https://x.io/p)';
    expect(renderReply(md, 'plain')).toBe('Pricing page (https://x.io/p)');
    expect(renderReply(md, 'whatsapp')).toBe('*Pricing* page (https://x.io/p)');
    expect(renderReply(md, 'slack')).toBe('<https://x.io/p|Pricing page>');
  });

  it('resolves reference-style links and drops their definitions', () => {
    const md = 'Read [the guide][g].\n\n[g]: https://x.io/guide';
    expect(renderReply(md, 'plain')).toBe('Read the guide (https://x.io/guide).');
    expect(renderReply(md, 'slack')).toBe('Read <https://x.io/guide|the guide>.');
  });

  it('falls back to the url for an image without alt text', () => {
    expect(renderReply('![](https://x.io/a.png)', 'plain')).toBe('https://x.io/a.png');
    expect(renderReply('![](https://x.io/a.png)', 'slack')).toBe('<https://x.io/a.png|https://x.io/a.png>');
  });
});

describe('renderReply: lists', () => {
  const nested = '1. Install\n   - Node 20\n     - with npm\n2. Run\n\n- top\n  1. first\n  2. second';

  it('indents nested lists 2 spaces per level and keeps ordered markers', () => {
    const expected = '1. Install\n  - Node 20\n    - with npm\n2. Run\n\n- top\n  1. first\n  2. second';
    expect(renderReply(nested, 'plain')).toBe(expected);
    expect(renderReply(nested, 'whatsapp')).toBe(expected);
  });

  it('indents nested lists 4 spaces per level in Slack', () => {
    expect(renderReply(nested, 'slack')).toBe(
      '1. Install\n    • Node 20\n        • with npm\n2. Run\n\n• top\n    1. first\n    2. second',
    );
  });

  it('keeps ordered markers as written', () => {
    expect(renderReply('3) c\n4) d', 'plain')).toBe('3) c\n4) d');
    expect(renderReply('1. a\n1. b', 'slack')).toBe('1. a\n1. b');
  });

  it('converts inline formatting inside items', () => {
    expect(renderReply('- **Bold** and `code`', 'slack')).toBe('• *Bold* and `code`');
    expect(renderReply('- **Bold** and `code`', 'plain')).toBe('- Bold and code');
  });

  it('indents an item’s later paragraphs and code under it', () => {
    const md = '1. First\n\n   More about it.\n\n   ```sh\n   npm test\n   ```';
    expect(renderReply(md, 'plain')).toBe('1. First\n\n  More about it.\n\n  npm test');
    expect(renderReply(md, 'whatsapp')).toBe('1. First\n\n  More about it.\n\n  ```\n  npm test\n  ```');
  });
});

describe('renderReply: other details', () => {
  it('does not double nested bold/italic markers', () => {
    expect(renderReply('***both*** and **a _b_ c**', 'whatsapp')).toBe('_*both*_ and *a _b_ c*');
    expect(renderReply('# A **big** deal', 'slack')).toBe('*A big deal*');
  });

  it('leaves intraword underscores and lone asterisks alone', () => {
    expect(renderReply('snake_case_name and 2 * 3 * 4', 'whatsapp')).toBe('snake_case_name and 2 * 3 * 4');
  });

  it('prefixes every quoted line, including nested quotes', () => {
    const md = '> first\n> second\n>\n> > inner';
    expect(renderReply(md, 'whatsapp')).toBe('> first\n> second\n>\n> > inner');
    expect(renderReply(md, 'plain')).toBe('first\nsecond\n\ninner');
  });

  it('renders table cells inline and unescapes pipes', () => {
    const md = '| Name | Note |\n| --- | --- |\n| **A** | x \\| y |\n| `b` | line<br>break |';
    expect(renderReply(md, 'plain')).toBe('Name | Note\nA | x | y\nb | line break');
    expect(renderReply(md, 'whatsapp')).toBe('Name | Note\n*A* | x | y\n`b` | line break');
  });

  it('turns hard breaks and <br> into newlines', () => {
    expect(renderReply('one\\\ntwo<br>three', 'plain')).toBe('one\ntwo\nthree');
  });

  it('keeps footnotes as [label] instead of reading them as links', () => {
    const md = 'Claim[^1].\n\n[^1]: Source **x**, 2024.';
    expect(renderReply(md, 'plain')).toBe('Claim[1].\n\n[1] Source x, 2024.');
    expect(renderReply(md, 'slack')).toBe('Claim[1].\n\n[1] Source *x*, 2024.');
  });

  it('keeps a single newline between blocks that were on adjacent lines', () => {
    expect(renderReply('Steps:\n1. a\n2. b\n\nDone.', 'slack')).toBe('Steps:\n1. a\n2. b\n\nDone.');
  });

  it('returns an empty string for empty input', () => {
    expect(renderReply('', 'slack')).toBe('');
  });
});

describe('renderReply: realistic reply', () => {
  const reply = [
    '## Your order status',
    '',
    'Hi **Ana**! Your order `#4521` shipped on *Monday* & should arrive soon.',
    '',
    '### What happens next',
    '',
    '1. **Tracking**: follow it at [our portal](https://track.example.com/4521).',
    '2. **Delivery**: the courier will call you.',
    '   - Keep your phone nearby',
    '   - Have your ID ready',
    '',
    '| Item | Qty |',
    '| --- | --- |',
    '| Shoes | 1 |',
    '',
    '> Need help? Reply to this message.',
    '',
    '---',
    '',
    '~~Old address~~ updated.',
  ].join('\n');

  it('plain', () => {
    expect(renderReply(reply, 'plain')).toBe(
      [
        'Your order status',
        '',
        'Hi Ana! Your order #4521 shipped on Monday & should arrive soon.',
        '',
        'What happens next',
        '',
        '1. Tracking: follow it at our portal (https://track.example.com/4521).',
        '2. Delivery: the courier will call you.',
        '  - Keep your phone nearby',
        '  - Have your ID ready',
        '',
        'Item | Qty',
        'Shoes | 1',
        '',
        'Need help? Reply to this message.',
        '',
        'Old address updated.',
      ].join('\n'),
    );
  });

  it('whatsapp', () => {
    expect(renderReply(reply, 'whatsapp')).toBe(
      [
        '*Your order status*',
        '',
        'Hi *Ana*! Your order `#4521` shipped on _Monday_ & should arrive soon.',
        '',
        '*What happens next*',
        '',
        '1. *Tracking*: follow it at our portal (https://track.example.com/4521).',
        '2. *Delivery*: the courier will call you.',
        '  - Keep your phone nearby',
        '  - Have your ID ready',
        '',
        'Item | Qty',
        'Shoes | 1',
        '',
        '> Need help? Reply to this message.',
        '',
        '~Old address~ updated.',
      ].join('\n'),
    );
  });

  it('slack', () => {
    expect(renderReply(reply, 'slack')).toBe(
      [
        '*Your order status*',
        '',
        'Hi *Ana*! Your order `#4521` shipped on _Monday_ &amp; should arrive soon.',
        '',
        '*What happens next*',
        '',
        '1. *Tracking*: follow it at <https://track.example.com/4521|our portal>.',
        '2. *Delivery*: the courier will call you.',
        '    • Keep your phone nearby',
        '    • Have your ID ready',
        '',
        'Item | Qty',
        'Shoes | 1',
        '',
        '> Need help? Reply to this message.',
        '',
        '~Old address~ updated.',
      ].join('\n'),
    );
  });

  it('markdown returns the stored text unchanged', () => {
    expect(renderReply(reply, 'markdown')).toBe(reply);
  });
});

describe('code with emphasis characters inside', () => {
  it('leaves * and _ in code spans and blocks alone in every format', () => {
    const md = 'Use `snake_case` and `*ptr`:\n\n```c\nint *my_var = _x * 2;\n```';
    expect(renderReply(md, 'plain')).toBe('Use snake_case and *ptr:\n\nint *my_var = _x * 2;');
    expect(renderReply(md, 'whatsapp')).toBe(
      'Use `snake_case` and `*ptr`:\n\n```\nint *my_var = _x * 2;\n```',
    );
    expect(renderReply(md, 'slack')).toBe('Use `snake_case` and `*ptr`:\n\n```\nint *my_var = _x * 2;\n```');
  });
});
