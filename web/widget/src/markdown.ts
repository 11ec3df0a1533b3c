/**
 * Markdown to DOM without HTML parsing: model output only ever becomes text nodes and a fixed
 * set of elements (p, strong, em, del, code, pre, ul, ol, li, blockquote, a, br), so a reply can
 * never inject markup or script. Links keep http(s) and mailto only.
 */
export function renderMarkdown(src: string, doc: Document = document): DocumentFragment {
  const out = doc.createDocumentFragment();
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  let para: string[] = [];
  let list: { el: HTMLElement; ordered: boolean } | null = null;
  let quote: string[] = [];

  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, parent: Node): HTMLElementTagNameMap[K] =>
    parent.appendChild(doc.createElement(tag));
  const flushPara = () => {
    if (para.length === 0) return;
    const p = el('p', out);
    para.forEach((l, i) => {
      if (i > 0) el('br', p);
      inline(l, p, doc);
    });
    para = [];
  };
  const flushQuote = () => {
    if (quote.length === 0) return;
    el('blockquote', out).appendChild(renderMarkdown(quote.join('\n'), doc));
    quote = [];
  };
  const flushAll = () => {
    flushPara();
    flushQuote();
    list = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      flushAll();
      const body: string[] = [];
      while (++i < lines.length && !(lines[i] ?? '').trim().startsWith(fence[1]!)) body.push(lines[i] ?? '');
      el('code', el('pre', out)).textContent = body.join('\n');
      continue;
    }
    const q = /^\s*>\s?(.*)$/.exec(line);
    if (q) {
      flushPara();
      list = null;
      quote.push(q[1] ?? '');
      continue;
    }
    flushQuote();
    if (line.trim() === '') {
      flushPara();
      list = null;
      continue;
    }
    const heading = /^\s*#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flushAll();
      inline(heading[1] ?? '', el('strong', el('p', out)), doc);
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flushAll();
      continue; // horizontal rule: dropped
    }
    const item = /^\s*(?:([-*+])|(\d{1,9})[.)])\s+(.*)$/.exec(line);
    if (item) {
      flushPara();
      const ordered = item[2] !== undefined;
      if (!list || list.ordered !== ordered) {
        const listEl: HTMLElement = el(ordered ? 'ol' : 'ul', out);
        if (ordered && item[2] !== '1') listEl.setAttribute('start', String(Number(item[2])));
        list = { el: listEl, ordered };
      }
      inline(item[3] ?? '', el('li', list.el), doc);
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      // continuation of the last list item
      const last = list.el.lastElementChild;
      if (last) {
        last.appendChild(doc.createTextNode(' '));
        inline(line.trim(), last, doc);
        continue;
      }
    }
    list = null;
    para.push(line);
  }
  flushAll();
  return out;
}

const INLINE =
  /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|(!?)\[([^\]\n]+)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"\n]*")?\s*\)|(\*\*|__)(?=\S)([\s\S]*?\S)\6|(\*|_)(?=[^\s*_])([\s\S]*?[^\s\\])\8|~~(?=\S)([\s\S]*?\S)~~|(https?:\/\/[^\s<>"]*[^\s<>".,:;!?'")\]])|\\([\\`*_{}[\]()#+\-.!~>])/g;

function safeHref(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:' ? u.href : null;
  } catch {
    return null;
  }
}

function inline(text: string, parent: Node, doc: Document): void {
  const re = new RegExp(INLINE.source, 'g');
  let last = 0;
  let m: RegExpExecArray | null;
  const add = (s: string) => {
    if (s) parent.appendChild(doc.createTextNode(s));
  };
  while ((m = re.exec(text))) {
    // `_` emphasis only at word boundaries (snake_case stays text)
    if ((m[8] === '_' || m[6] === '__') && /\w/.test(text[m.index - 1] ?? '')) {
      re.lastIndex = m.index + 1;
      continue;
    }
    add(text.slice(last, m.index));
    last = re.lastIndex;
    if (m[1] !== undefined) {
      parent.appendChild(doc.createElement('code')).textContent = m[2] ?? '';
    } else if (m[4] !== undefined) {
      const href = safeHref(m[5] ?? '');
      if (!href) {
        inline(m[4], parent, doc);
        continue;
      }
      const a = doc.createElement('a');
      a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer nofollow';
      inline(m[4], a, doc);
      parent.appendChild(a);
    } else if (m[6] !== undefined) {
      inline(m[7] ?? '', parent.appendChild(doc.createElement('strong')), doc);
    } else if (m[8] !== undefined) {
      inline(m[9] ?? '', parent.appendChild(doc.createElement('em')), doc);
    } else if (m[10] !== undefined) {
      inline(m[10], parent.appendChild(doc.createElement('del')), doc);
    } else if (m[11] !== undefined) {
      const href = safeHref(m[11]);
      if (href) {
        const a = parent.appendChild(doc.createElement('a'));
        a.href = href;
        a.target = '_blank';
        a.rel = 'noopener noreferrer nofollow';
        a.textContent = m[11];
      } else add(m[11]);
    } else if (m[12] !== undefined) {
      add(m[12]);
    }
  }
  add(text.slice(last));
}
