// The editing features of *.wdlab.json: completion, hover, outline, folding, smart selection and
// formatting from the bundled schema, served in the extension host by Microsoft's JSON language service
// library (vscode-json-languageservice, the one VS Code's own JSON support runs), with validation off.
//
// Why not VS Code's JSON support with a jsonValidation association: its language server validates every
// json/jsonc document against the associated schema, and VS Code 1.139 offers no way to keep its
// completion and hover but turn its validation off for some files (`json.validate.enable` is one
// window-wide switch, the severity settings of its server are never sent by its client, and a language
// registered through `jsonLanguageParticipants` is validated too). The shared validator
// (specDiagnostics.ts) reports the same schema problems with better messages, the CLI's severity and a
// quick fix, so each problem would show twice. So the files have a language of their own, `wdlab-spec`
// (JSON with comments: the jsonc grammar and bracket rules), which VS Code's JSON server never sees, and
// every problem is reported once, by the validator.
//
// The library is loaded on the first request (not at activation) and parses the few-kilobyte spec per
// document version.

import * as vscode from 'vscode';
import type * as Json from 'vscode-json-languageservice';
import { experimentSchema } from '../spec/schema';

/** The language id of *.wdlab.json (package.json contributes.languages). */
export const SPEC_LANGUAGE = 'wdlab-spec';

/** Where the library thinks the schema lives (never fetched: every schema request gets the bundled one). */
const SCHEMA_URI = 'wdlab://schemas/experiment.schema.json';

type Library = typeof import('vscode-json-languageservice');

interface Service {
  lib: Library;
  ls: Json.LanguageService;
}

let service: Promise<Service> | undefined;

function resolveRelativePath(relative: string, resource: string): string {
  try {
    return new URL(relative, resource).toString();
  } catch {
    return relative; // an untitled document has no folder to resolve against
  }
}

/** The language service, made on first use. */
function languageService(): Promise<Service> {
  service ??= import('vscode-json-languageservice').then((lib) => {
    const schemaText = JSON.stringify(experimentSchema);
    const ls = lib.getLanguageService({
      // A spec's own "$schema" (the examples name ../schemas/experiment.schema.json) is resolved through
      // here too: whatever it names, a spec follows the schema this version validates with.
      schemaRequestService: async () => schemaText,
      workspaceContext: { resolveRelativePath },
      clientCapabilities: {
        textDocument: {
          completion: { completionItem: { documentationFormat: ['markdown', 'plaintext'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
        },
      },
    });
    ls.configure({
      validate: false,
      allowComments: true,
      schemas: [{ uri: SCHEMA_URI, fileMatch: ['*'], schema: JSON.parse(schemaText) }],
    });
    return { lib, ls };
  });
  return service;
}

/** The library's view of a document: its text document and parse, kept for the document's version. */
const parsed = new Map<string, { version: number; text: Json.TextDocument; json: Json.JSONDocument }>();

async function open(
  doc: vscode.TextDocument,
): Promise<Service & { text: Json.TextDocument; json: Json.JSONDocument }> {
  const s = await languageService();
  const key = doc.uri.toString();
  let hit = parsed.get(key);
  if (!hit || hit.version !== doc.version) {
    const text = s.lib.TextDocument.create(key, 'jsonc', doc.version, doc.getText());
    hit = { version: doc.version, text, json: s.ls.parseJSONDocument(text) };
    parsed.set(key, hit);
  }
  return { ...s, text: hit.text, json: hit.json };
}

const position = (p: Json.Position) => new vscode.Position(p.line, p.character);
const range = (r: Json.Range) => new vscode.Range(position(r.start), position(r.end));
const lspPosition = (p: vscode.Position): Json.Position => ({ line: p.line, character: p.character });

function markdown(content: Json.MarkupContent | Json.MarkedString | string): vscode.MarkdownString {
  if (typeof content === 'string') return new vscode.MarkdownString(content);
  if ('kind' in content)
    return content.kind === 'markdown'
      ? new vscode.MarkdownString(content.value)
      : new vscode.MarkdownString().appendText(content.value);
  return new vscode.MarkdownString().appendCodeblock(content.value, content.language);
}

/** An LSP completion item as VS Code's JSON client makes it (insert/replace ranges, snippets). */
function completionItem(lib: Library, c: Json.CompletionItem, at: vscode.Position): vscode.CompletionItem {
  // LSP kinds count from 1, VS Code's from 0.
  const item = new vscode.CompletionItem(c.label, c.kind === undefined ? undefined : c.kind - 1);
  const edit = c.textEdit && 'range' in c.textEdit ? c.textEdit : undefined;
  const text = edit?.newText ?? c.insertText ?? c.label;
  item.insertText =
    c.insertTextFormat === lib.InsertTextFormat.Snippet ? new vscode.SnippetString(text) : text;
  if (edit) {
    const r = range(edit.range);
    item.range =
      r.end.isAfter(at) && r.start.isBeforeOrEqual(at) ? { inserting: r.with(r.start, at), replacing: r } : r;
  }
  item.detail = c.detail;
  if (c.documentation) item.documentation = markdown(c.documentation);
  item.filterText = c.filterText;
  item.sortText = c.sortText;
  if (c.command)
    item.command = { title: c.command.title, command: c.command.command, arguments: c.command.arguments };
  if (c.tags?.includes(lib.CompletionItemTag.Deprecated)) item.tags = [vscode.CompletionItemTag.Deprecated];
  return item;
}

function documentSymbol(s: Json.DocumentSymbol): vscode.DocumentSymbol {
  // LSP symbol kinds count from 1, VS Code's from 0.
  const symbol = new vscode.DocumentSymbol(
    s.name,
    s.detail ?? '',
    s.kind - 1,
    range(s.range),
    range(s.selectionRange),
  );
  symbol.children = (s.children ?? []).map(documentSymbol);
  return symbol;
}

function selectionRange(s: Json.SelectionRange): vscode.SelectionRange {
  return new vscode.SelectionRange(range(s.range), s.parent ? selectionRange(s.parent) : undefined);
}

const FOLDING_KINDS: Record<string, vscode.FoldingRangeKind> = {
  comment: vscode.FoldingRangeKind.Comment,
  region: vscode.FoldingRangeKind.Region,
};

function formattingOptions(
  doc: vscode.TextDocument,
  options: vscode.FormattingOptions,
): Json.FormattingOptions {
  const insertFinalNewline = vscode.workspace
    .getConfiguration('files', doc)
    .get<boolean>('insertFinalNewline');
  return { tabSize: options.tabSize, insertSpaces: options.insertSpaces, insertFinalNewline };
}

/** Registers the editing features for the spec language; the returned disposable unregisters them. */
export function registerSpecLanguage(): vscode.Disposable {
  const selector: vscode.DocumentSelector = { language: SPEC_LANGUAGE };
  return vscode.Disposable.from(
    vscode.languages.registerCompletionItemProvider(
      selector,
      {
        async provideCompletionItems(doc, at) {
          const { lib, ls, text, json } = await open(doc);
          const list = await ls.doComplete(text, lspPosition(at), json);
          if (!list) return undefined;
          return new vscode.CompletionList(
            list.items.map((c) => completionItem(lib, c, at)),
            list.isIncomplete,
          );
        },
      },
      '"',
      ':',
    ),
    vscode.languages.registerHoverProvider(selector, {
      async provideHover(doc, at) {
        const { ls, text, json } = await open(doc);
        const hover = await ls.doHover(text, lspPosition(at), json);
        if (!hover) return undefined;
        const contents = Array.isArray(hover.contents) ? hover.contents : [hover.contents];
        return new vscode.Hover(contents.map(markdown), hover.range && range(hover.range));
      },
    }),
    vscode.languages.registerDocumentSymbolProvider(
      selector,
      {
        async provideDocumentSymbols(doc) {
          const { ls, text, json } = await open(doc);
          return ls.findDocumentSymbols2(text, json).map(documentSymbol);
        },
      },
      { label: 'Weight Decay Lab spec' },
    ),
    vscode.languages.registerFoldingRangeProvider(selector, {
      async provideFoldingRanges(doc) {
        const { ls, text } = await open(doc);
        return ls
          .getFoldingRanges(text)
          .map(
            (f) =>
              new vscode.FoldingRange(f.startLine, f.endLine, f.kind ? FOLDING_KINDS[f.kind] : undefined),
          );
      },
    }),
    vscode.languages.registerSelectionRangeProvider(selector, {
      async provideSelectionRanges(doc, positions) {
        const { ls, text, json } = await open(doc);
        return ls.getSelectionRanges(text, positions.map(lspPosition), json).map(selectionRange);
      },
    }),
    vscode.languages.registerDocumentFormattingEditProvider(selector, {
      async provideDocumentFormattingEdits(doc, options) {
        const { ls, text } = await open(doc);
        return ls
          .format(text, undefined, formattingOptions(doc, options))
          .map((e) => vscode.TextEdit.replace(range(e.range), e.newText));
      },
    }),
    vscode.languages.registerDocumentRangeFormattingEditProvider(selector, {
      async provideDocumentRangeFormattingEdits(doc, r, options) {
        const { ls, text } = await open(doc);
        return ls
          .format(
            text,
            { start: lspPosition(r.start), end: lspPosition(r.end) },
            formattingOptions(doc, options),
          )
          .map((e) => vscode.TextEdit.replace(range(e.range), e.newText));
      },
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => parsed.delete(doc.uri.toString())),
  );
}
