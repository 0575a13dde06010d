import { Language, Parser, type Tree } from 'web-tree-sitter';

let parser: Promise<Parser> | undefined;

/**
 * The bash grammar of tree-sitter, run as WebAssembly (web-tree-sitter + the wasm that the
 * tree-sitter-bash package ships): a real shell grammar with no native build and no download.
 */
export function bashParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const bash = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
    const p = new Parser();
    p.setLanguage(bash);
    return p;
  })();
  return parser;
}

export async function parseBash(source: string): Promise<Tree> {
  const tree = (await bashParser()).parse(source);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}
