import type { Definition, Nodes, Parents, Root } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmAutolinkLiteralFromMarkdown } from 'mdast-util-gfm-autolink-literal';
import { gfmStrikethroughFromMarkdown } from 'mdast-util-gfm-strikethrough';
import { gfmTableFromMarkdown } from 'mdast-util-gfm-table';
import { gfmAutolinkLiteral } from 'micromark-extension-gfm-autolink-literal';
import { gfmStrikethrough } from 'micromark-extension-gfm-strikethrough';
import { gfmTable } from 'micromark-extension-gfm-table';
import { useMemo, type ReactNode } from 'react';
import './markdown.css';

/**
 * A stored message's Markdown as React elements. The parser (micromark/mdast, the one the server
 * and remark use) builds a tree; every node becomes a fixed element or text, so model output is
 * never HTML: raw HTML shows as text, images as links, and links keep http(s)/mailto only.
 */
const PARSE_OPTIONS = {
  extensions: [gfmTable(), gfmStrikethrough(), gfmAutolinkLiteral()],
  mdastExtensions: [gfmTableFromMarkdown(), gfmStrikethroughFromMarkdown(), gfmAutolinkLiteralFromMarkdown()],
};

export function safeHref(url: string): string | null {
  try {
    const u = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

export function Markdown({ text }: { text: string }) {
  const tree = useMemo(() => fromMarkdown(text, PARSE_OPTIONS), [text]);
  return <div className="papo-md">{renderChildren(tree, definitions(tree))}</div>;
}

/**
 * The words of a Markdown text without its syntax, on one line (conversation titles are the first
 * user message, often with `**`, lists or links in it).
 */
export function plainText(text: string): string {
  const parts: string[] = [];
  const walk = (n: Nodes) => {
    if (n.type === 'text' || n.type === 'inlineCode' || n.type === 'code' || n.type === 'html')
      parts.push(n.value);
    else if ('children' in n) n.children.forEach(walk);
    if (n.type === 'paragraph' || n.type === 'listItem' || n.type === 'heading' || n.type === 'break')
      parts.push(' ');
  };
  walk(fromMarkdown(text, PARSE_OPTIONS));
  return parts.join('').replace(/\s+/g, ' ').trim();
}

function definitions(tree: Root): Map<string, Definition> {
  const out = new Map<string, Definition>();
  const walk = (n: Nodes) => {
    if (n.type === 'definition') out.set(n.identifier, n);
    if ('children' in n) n.children.forEach(walk);
  };
  walk(tree);
  return out;
}

type Defs = Map<string, Definition>;

function renderChildren(parent: Parents, defs: Defs): ReactNode[] {
  return parent.children.map((child, i) => render(child, defs, i));
}

function link(href: string, key: number, children: ReactNode): ReactNode {
  const safe = safeHref(href);
  if (!safe) return <span key={key}>{children}</span>;
  return (
    <a key={key} href={safe} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  );
}

function render(n: Nodes, defs: Defs, key: number): ReactNode {
  const kids = () => ('children' in n ? renderChildren(n, defs) : null);
  switch (n.type) {
    case 'root':
      return <div key={key}>{kids()}</div>;
    case 'paragraph':
      return <p key={key}>{kids()}</p>;
    // a heading inside a message must not enter the page's outline
    case 'heading':
      return (
        <p key={key}>
          <strong>{kids()}</strong>
        </p>
      );
    case 'blockquote':
      return <blockquote key={key}>{kids()}</blockquote>;
    case 'list':
      return n.ordered ? (
        <ol key={key} start={n.start ?? undefined}>
          {kids()}
        </ol>
      ) : (
        <ul key={key}>{kids()}</ul>
      );
    case 'listItem':
      return <li key={key}>{kids()}</li>;
    case 'code':
      return (
        <pre key={key}>
          <code>{n.value}</code>
        </pre>
      );
    case 'thematicBreak':
      return <hr key={key} />;
    case 'table':
      return (
        <div key={key} className="papo-md-table">
          <table>
            <tbody>
              {n.children.map((row, r) => (
                <tr key={r}>
                  {row.children.map((cell, c) =>
                    r === 0 ? (
                      <th key={c} scope="col">
                        {renderChildren(cell, defs)}
                      </th>
                    ) : (
                      <td key={c}>{renderChildren(cell, defs)}</td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    case 'text':
    case 'html':
      return n.value;
    case 'inlineCode':
      return <code key={key}>{n.value}</code>;
    case 'emphasis':
      return <em key={key}>{kids()}</em>;
    case 'strong':
      return <strong key={key}>{kids()}</strong>;
    case 'delete':
      return <del key={key}>{kids()}</del>;
    case 'break':
      return <br key={key} />;
    case 'link':
      return link(n.url, key, kids());
    case 'image':
      return link(n.url, key, `🖼 ${n.alt || n.url}`);
    case 'linkReference': {
      const d = defs.get(n.identifier);
      return d ? link(d.url, key, kids()) : <span key={key}>{kids()}</span>;
    }
    case 'imageReference': {
      const d = defs.get(n.identifier);
      return d ? link(d.url, key, `🖼 ${n.alt || d.url}`) : (n.alt ?? '');
    }
    case 'definition':
      return null;
    default:
      // footnotes and anything else: its text, never markup
      return 'children' in n ? <span key={key}>{kids()}</span> : 'value' in n ? String(n.value) : null;
  }
}
