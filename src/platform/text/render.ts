/**
 * Renders a stored Markdown reply for a chat channel (README §9): `plain`, `whatsapp` or Slack
 * `mrkdwn`. We parse with micromark/mdast (CommonMark + the GFM pieces the table needs) rather
 * than regexes, so `a_b_c`, `2 * 3 * 4`, URLs with underscores and code spans come out intact.
 */
import type { Definition, List, ListItem, Nodes, PhrasingContent, RootContent, Table, TableRow } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmAutolinkLiteralFromMarkdown } from 'mdast-util-gfm-autolink-literal';
import { gfmFootnoteFromMarkdown } from 'mdast-util-gfm-footnote';
import { gfmStrikethroughFromMarkdown } from 'mdast-util-gfm-strikethrough';
import { gfmTableFromMarkdown } from 'mdast-util-gfm-table';
import { gfmAutolinkLiteral } from 'micromark-extension-gfm-autolink-literal';
import { gfmFootnote } from 'micromark-extension-gfm-footnote';
import { gfmStrikethrough } from 'micromark-extension-gfm-strikethrough';
import { gfmTable } from 'micromark-extension-gfm-table';

export type ReplyFormat = 'markdown' | 'plain' | 'whatsapp' | 'slack';
type ChatFormat = Exclude<ReplyFormat, 'markdown'>;

// Autolink literals are parsed so a bare URL's `_` or `*` is never read as emphasis (`x.io/_a_/b`);
// footnotes so `[^1]: text` is not mistaken for a link definition.
const PARSE_OPTIONS = {
  extensions: [gfmTable(), gfmStrikethrough(), gfmAutolinkLiteral(), gfmFootnote()],
  mdastExtensions: [
    gfmTableFromMarkdown(),
    gfmStrikethroughFromMarkdown(),
    gfmAutolinkLiteralFromMarkdown(),
    gfmFootnoteFromMarkdown(),
  ],
};

interface Context {
  format: ChatFormat;
  source: string;
  definitions: Map<string, Definition>;
}

/** Which inline wrappers are already open, so nested ones are not emitted twice (`***x***`). */
interface InlineState {
  bold: boolean;
  italic: boolean;
  strike: boolean;
  inTable: boolean;
}

const NO_STATE: InlineState = { bold: false, italic: false, strike: false, inTable: false };
const IN_TABLE: InlineState = { ...NO_STATE, inTable: true };

export function renderReply(markdown: string, format: ReplyFormat): string {
  if (format === 'markdown') return markdown;
  const tree = fromMarkdown(markdown, PARSE_OPTIONS);
  const ctx: Context = { format, source: markdown, definitions: collectDefinitions(tree) };
  return renderBlocks(tree.children, ctx);
}

// ---- blocks -------------------------------------------------------------------------------

function renderBlocks(nodes: readonly RootContent[], ctx: Context): string {
  return joinBlocks(nodes, (node) => renderBlock(node, ctx));
}

/**
 * Joins rendered sibling blocks keeping the source's spacing: a blank line where there was one,
 * a single newline between blocks on adjacent lines ("Steps:\n1. a"). Empty results vanish.
 */
function joinBlocks<T extends Nodes>(nodes: readonly T[], render: (node: T) => string): string {
  let out = '';
  let previousEnd: number | undefined;
  for (const node of nodes) {
    const text = render(node);
    if (text === '') continue;
    if (previousEnd !== undefined) {
      out += (node.position?.start.line ?? previousEnd + 2) - previousEnd > 1 ? '\n\n' : '\n';
    }
    out += text;
    previousEnd = node.position?.end.line ?? 0;
  }
  return out;
}

function renderBlock(node: RootContent, ctx: Context): string {
  switch (node.type) {
    case 'paragraph':
      return trimLines(renderInline(node.children, ctx, NO_STATE));
    case 'heading': {
      if (ctx.format === 'plain') return trimLines(renderInline(node.children, ctx, NO_STATE));
      const text = trimLines(renderInline(node.children, ctx, { ...NO_STATE, bold: true }));
      return text === '' ? '' : `*${text}*`;
    }
    case 'code':
      if (ctx.format === 'plain') return node.value;
      return '```\n' + escapeText(node.value, ctx) + '\n```';
    case 'blockquote': {
      const inner = renderBlocks(node.children, ctx);
      if (ctx.format === 'plain') return inner;
      return inner
        .split('\n')
        .map((line) => (line === '' ? '>' : `> ${line}`))
        .join('\n');
    }
    case 'list':
      return renderList(node, ctx, 0);
    case 'table':
      return renderTable(node, ctx);
    case 'html':
      return escapeText(stripHtml(node.value), ctx);
    case 'thematicBreak':
    case 'definition':
    case 'yaml':
      return '';
    case 'footnoteDefinition': {
      const text = renderBlocks(node.children, ctx);
      return `[${escapeText(node.label ?? node.identifier, ctx)}]${text === '' ? '' : ` ${text}`}`;
    }
    case 'listItem':
      return renderListItem(node, '-', ctx, 0);
    case 'tableRow':
      return renderTableRow(node, ctx);
    case 'tableCell':
      return renderInline(node.children, ctx, IN_TABLE);
    // Phrasing content never sits at block level in a parsed tree; render it inline anyway.
    case 'text':
    case 'strong':
    case 'emphasis':
    case 'delete':
    case 'inlineCode':
    case 'break':
    case 'link':
    case 'linkReference':
    case 'image':
    case 'imageReference':
    case 'footnoteReference':
      return renderPhrasing(node, ctx, NO_STATE);
  }
}

function renderList(list: List, ctx: Context, depth: number): string {
  let index = 0;
  return joinBlocks(list.children, (item) =>
    renderListItem(item, listMarker(list, item, index++, ctx), ctx, depth),
  );
}

/** Ordered markers are kept exactly as written (`3)`, `1.` repeated); bullets are normalised. */
function listMarker(list: List, item: ListItem, index: number, ctx: Context): string {
  if (!list.ordered) return ctx.format === 'slack' ? '•' : '-';
  const written = /\d{1,9}[.)]/y;
  written.lastIndex = item.position?.start.offset ?? 0;
  return written.exec(ctx.source)?.[0] ?? `${(list.start ?? 1) + index}.`;
}

/**
 * The marker goes on the item's first line; the item's other blocks are indented one level
 * deeper, and nested lists indent themselves by their own depth.
 */
function renderListItem(item: ListItem, marker: string, ctx: Context, depth: number): string {
  const unit = ctx.format === 'slack' ? '    ' : '  ';
  const head = unit.repeat(depth) + marker;
  const continuation = unit.repeat(depth + 1);
  let startsWithList: boolean | undefined;
  const body = joinBlocks(item.children, (child) => {
    const text =
      child.type === 'list'
        ? renderList(child, ctx, depth + 1)
        : indentLines(renderBlock(child, ctx), continuation);
    if (text !== '') startsWithList ??= child.type === 'list';
    return text;
  });
  if (body === '') return head;
  // A nested list right after the marker (`- - a`) starts on its own line.
  if (startsWithList === true) return `${head}\n${body}`;
  return `${head} ${body.slice(continuation.length)}`;
}

function renderTable(table: Table, ctx: Context): string {
  return table.children.map((row) => renderTableRow(row, ctx)).join('\n');
}

function renderTableRow(row: TableRow, ctx: Context): string {
  return row.children.map((cell) => renderInline(cell.children, ctx, IN_TABLE).trim()).join(' | ');
}

// ---- inline -------------------------------------------------------------------------------

function renderInline(nodes: readonly PhrasingContent[], ctx: Context, state: InlineState): string {
  return nodes.map((node) => renderPhrasing(node, ctx, state)).join('');
}

function renderPhrasing(node: PhrasingContent, ctx: Context, state: InlineState): string {
  switch (node.type) {
    case 'text':
      return escapeText(node.value, ctx);
    case 'strong':
      return wrap(node.children, 'bold', '*', ctx, state);
    case 'emphasis':
      return wrap(node.children, 'italic', '_', ctx, state);
    case 'delete':
      return wrap(node.children, 'strike', '~', ctx, state);
    case 'inlineCode':
      return ctx.format === 'plain' ? node.value : '`' + escapeText(node.value, ctx) + '`';
    case 'break':
      return state.inTable ? ' ' : '\n';
    case 'html':
      // A `<br>` keeps its line break (a space inside a one-line table row); other tags vanish.
      return /^<br\s*\/?>$/i.test(node.value) ? (state.inTable ? ' ' : '\n') : '';
    case 'link':
      return renderLink(
        node.url,
        node.children,
        ctx.source[node.position?.start.offset ?? 0] !== '[',
        ctx,
        state,
      );
    case 'linkReference': {
      const definition = ctx.definitions.get(node.identifier);
      if (definition === undefined) return renderInline(node.children, ctx, state);
      return renderLink(definition.url, node.children, false, ctx, state);
    }
    case 'image':
      return renderImage(node.url, node.alt ?? '', ctx);
    case 'imageReference': {
      const definition = ctx.definitions.get(node.identifier);
      return definition === undefined
        ? escapeText(node.alt ?? '', ctx)
        : renderImage(definition.url, node.alt ?? '', ctx);
    }
    case 'footnoteReference':
      return `[${escapeText(node.label ?? node.identifier, ctx)}]`;
  }
}

/** Plain output drops the marker; nested same-kind wrappers are not repeated (`*` inside `*`). */
function wrap(
  children: readonly PhrasingContent[],
  kind: 'bold' | 'italic' | 'strike',
  delimiter: string,
  ctx: Context,
  state: InlineState,
): string {
  if (ctx.format === 'plain' || state[kind]) return renderInline(children, ctx, state);
  return delimiter + renderInline(children, ctx, { ...state, [kind]: true }) + delimiter;
}

/**
 * `bare` marks links written without `[...]` (`<https://…>`, `www.x.io`, `<a@b.io>`): in plain
 * and WhatsApp they stay as written, like a link whose text equals its URL.
 */
function renderLink(
  url: string,
  children: readonly PhrasingContent[],
  bare: boolean,
  ctx: Context,
  state: InlineState,
): string {
  const label = plainText(children);
  if (ctx.format === 'slack') return `<${url}|${label === '' ? url : label}>`;
  if (bare || label === '' || label === url) return label === '' ? url : renderInline(children, ctx, state);
  return `${renderInline(children, ctx, state)} (${url})`;
}

function renderImage(url: string, alt: string, ctx: Context): string {
  if (ctx.format === 'slack') return `<${url}|${alt === '' ? url : alt}>`;
  return alt === '' || alt === url ? url : `${alt} (${url})`;
}

// ---- helpers ------------------------------------------------------------------------------

/** Slack treats `&`, `<` and `>` as control characters in message text (also in code). */
function escapeText(text: string, ctx: Context): string {
  if (ctx.format !== 'slack') return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Block-level HTML keeps its text; tags, comments and declarations are dropped. */
function stripHtml(html: string): string {
  return html
    .replace(/<!--[\s\S]*?(?:-->|$)/g, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/?[A-Za-z][^>]*>|<[!?][^>]*>/g, '')
    .trim();
}

function plainText(nodes: readonly PhrasingContent[]): string {
  return nodes
    .map((node) => {
      if (node.type === 'text' || node.type === 'inlineCode') return node.value;
      if (node.type === 'image' || node.type === 'imageReference') return node.alt ?? '';
      return 'children' in node ? plainText(node.children) : '';
    })
    .join('');
}

/** Removed inline HTML can leave spaces at line ends (`text <span></span>`). */
function trimLines(text: string): string {
  return text.replace(/[ \t]+$/gm, '').trim();
}

function indentLines(text: string, indent: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : indent + line))
    .join('\n');
}

function collectDefinitions(node: Nodes, found = new Map<string, Definition>()): Map<string, Definition> {
  if (node.type === 'definition' && !found.has(node.identifier)) found.set(node.identifier, node);
  if ('children' in node) for (const child of node.children) collectDefinitions(child, found);
  return found;
}
