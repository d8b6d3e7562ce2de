import { describe, expect, it } from 'vitest';
import { Markdown, parseInlines, parseMarkdown } from '../src/markdown';
import type { Documents } from '../src/types';
import { $$, fixture, mount, text } from './helpers';

describe('markdown', () => {
  it('reads the consent text as heading, paragraphs and an ordered list', () => {
    const docs = fixture<Documents>('documents.json');
    const blocks = parseMarkdown(docs.consent.zh);
    expect(blocks[0]).toMatchObject({ kind: 'heading', level: 1 });
    const list = blocks.find((b) => b.kind === 'list');
    expect(list).toMatchObject({ kind: 'list', ordered: true });
    expect(list && list.kind === 'list' ? list.items.length : 0).toBe(4);
  });

  it('joins wrapped list items (the English consent wraps its lines)', () => {
    const docs = fixture<Documents>('documents.json');
    const list = parseMarkdown(docs.consent.en).find((b) => b.kind === 'list');
    expect(list && list.kind === 'list' ? list.items[0]!.map((i) => i.text).join('') : '').toContain('compared with your online registration.');
  });

  it('parses bold, emphasis and code inline', () => {
    expect(parseInlines('a **b** *c* `d` e')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'strong', text: 'b' },
      { kind: 'text', text: ' ' },
      { kind: 'em', text: 'c' },
      { kind: 'text', text: ' ' },
      { kind: 'code', text: 'd' },
      { kind: 'text', text: ' e' },
    ]);
  });

  it('renders elements, never markup from the text', () => {
    const root = mount(<Markdown source={'## Title\n\n- one\n- <img src=x onerror=alert(1)>\n\n1. first\n2. second'} />);
    expect($$('h4', root).map((h) => h.textContent)).toEqual(['Title']);
    expect($$('ul li', root)).toHaveLength(2);
    expect($$('ol li', root)).toHaveLength(2);
    expect(root.querySelector('img')).toBeNull();
    expect(text(root)).toContain('<img src=x onerror=alert(1)>');
  });
});
