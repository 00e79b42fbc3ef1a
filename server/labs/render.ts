/**
 * The two markdown-it instances. `structureMd` only finds a deck's block structure; `renderMd` turns
 * the plain markdown between commands and code blocks into the HTML attendees see. Only `renderMd`'s
 * output reaches the browser, and it has raw HTML disabled, so no author HTML ever does.
 */
import MarkdownIt, { type Token } from 'markdown-it';
import hljs from 'highlight.js';

/**
 * Finds structure only, following CommonMark. HTML is on so that comments become html_block tokens
 * with their lines; this is also what decides, for instance, that a `-----` line right after
 * `<!-- end_slide -->` is a thematic break and not a setext underline (an HTML block is not a paragraph).
 */
export const structureMd = new MarkdownIt('default', { html: true });

/** Renders attendee-visible markdown: raw HTML off, bare URLs linked, fenced code highlighted. */
const renderMd = new MarkdownIt('default', {
  html: false,
  linkify: true,
  highlight: (code, lang) => highlight(code, lang),
});
renderMd.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx];
  if (!token) return '';
  token.attrSet('target', '_blank');
  token.attrSet('rel', 'noopener');
  const open = self.renderToken(tokens, idx, options);
  // presenterm decks often write `[](https://…)`; an empty anchor would be invisible, so show the URL.
  if (tokens[idx + 1]?.type === 'link_close') {
    return open + renderMd.utils.escapeHtml(String(token.attrGet('href') ?? ''));
  }
  return open;
};

/** Highlighted HTML for a language highlight.js knows; escaped text, byte for byte, otherwise. */
export function highlight(code: string, lang: string): string {
  if (lang && hljs.getLanguage(lang)) {
    return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
  }
  return renderMd.utils.escapeHtml(code);
}

/** One line of text such as a front matter title, with inline markdown. */
export function renderInline(text: string): string {
  return renderMd.renderInline(text);
}

/** Renders markdown to HTML; `rewrite` may change the tokens in between (images get their asset URL). */
export function renderMarkdown(src: string, rewrite: (tokens: Token[]) => void): string {
  const tokens = renderMd.parse(src, {});
  rewrite(tokens);
  return renderMd.renderer.render(tokens, renderMd.options, {});
}
