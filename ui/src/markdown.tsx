// A small Markdown reader for the consent and pledge texts (docs/ipc.md: headings, paragraphs,
// lists). It builds elements, never HTML strings, so a text cannot inject markup.

import type { JSX } from 'preact';

export type Inline = { kind: 'text' | 'strong' | 'em' | 'code'; text: string };
export type Block =
  | { kind: 'heading'; level: number; inlines: Inline[] }
  | { kind: 'paragraph'; inlines: Inline[] }
  | { kind: 'list'; ordered: boolean; items: Inline[][] }
  | { kind: 'rule' };

/** `**bold**`, `*em*` / `_em_`, `` `code` ``; everything else is text. */
export function parseInlines(source: string): Inline[] {
  const out: Inline[] = [];
  const pattern = /\*\*(.+?)\*\*|__(.+?)__|\*(.+?)\*|_(.+?)_|`(.+?)`/g;
  let at = 0;
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
    if (match.index > at) out.push({ kind: 'text', text: source.slice(at, match.index) });
    if (match[1] !== undefined || match[2] !== undefined) out.push({ kind: 'strong', text: match[1] ?? match[2] ?? '' });
    else if (match[3] !== undefined || match[4] !== undefined) out.push({ kind: 'em', text: match[3] ?? match[4] ?? '' });
    else out.push({ kind: 'code', text: match[5] ?? '' });
    at = match.index + match[0].length;
  }
  if (at < source.length) out.push({ kind: 'text', text: source.slice(at) });
  return out;
}

const LIST_ITEM = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/;

export function parseMarkdown(source: string): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;

  const flushParagraph = () => {
    if (paragraph.length) blocks.push({ kind: 'paragraph', inlines: parseInlines(paragraph.join(' ')) });
    paragraph = [];
  };
  const flushList = () => {
    if (list) blocks.push({ kind: 'list', ordered: list.ordered, items: list.items.map(parseInlines) });
    list = null;
  };

  for (const rawLine of source.replace(/\r\n?/g, '\n').split('\n')) {
    const line = rawLine.trimEnd();
    if (!line.trim()) {
      flushParagraph();
      flushList();
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      blocks.push({ kind: 'heading', level: heading[1]!.length, inlines: parseInlines(heading[2]!.trim()) });
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flushParagraph();
      flushList();
      blocks.push({ kind: 'rule' });
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      flushParagraph();
      const ordered = item[2] !== undefined;
      if (list && list.ordered !== ordered) flushList();
      if (!list) list = { ordered, items: [] };
      list.items.push(item[3]!.trim());
      continue;
    }
    if (list && /^\s+\S/.test(rawLine)) {
      // continuation of the last list item
      list.items[list.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    flushList();
    paragraph.push(line.trim());
  }
  flushParagraph();
  flushList();
  return blocks;
}

function renderInlines(inlines: Inline[]) {
  return inlines.map((inline, i) => {
    switch (inline.kind) {
      case 'strong':
        return <strong key={i}>{inline.text}</strong>;
      case 'em':
        return <em key={i}>{inline.text}</em>;
      case 'code':
        return <code key={i}>{inline.text}</code>;
      default:
        return inline.text;
    }
  });
}

export function Markdown(props: { source: string; class?: string }): JSX.Element {
  const blocks = parseMarkdown(props.source);
  return (
    <div class={props.class ? `markdown ${props.class}` : 'markdown'}>
      {blocks.map((block, i) => {
        switch (block.kind) {
          case 'heading': {
            // The screen has its own h1/h2; document headings start at h3.
            const level = Math.min(6, block.level + 2);
            const Tag = `h${level}` as 'h3';
            return <Tag key={i}>{renderInlines(block.inlines)}</Tag>;
          }
          case 'paragraph':
            return <p key={i}>{renderInlines(block.inlines)}</p>;
          case 'list': {
            const items = block.items.map((item, j) => <li key={j}>{renderInlines(item)}</li>);
            return block.ordered ? <ol key={i}>{items}</ol> : <ul key={i}>{items}</ul>;
          }
          default:
            return <hr key={i} />;
        }
      })}
    </div>
  );
}
