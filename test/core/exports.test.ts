import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Every type named in a public signature is exported from the package root, so
 * a consumer can name it (extend a class, type a variable) without deep imports.
 * Walks the exports of lib/index.ts with the TypeScript compiler: classes
 * (constructor, public members), functions, interfaces and type aliases, and
 * the named types their signatures reference, declared under lib/.
 */
const LIB = join(__dirname, '../../lib');

function missingExports(): string[] {
  const program = ts.createProgram([join(LIB, 'index.ts')], { strict: true, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const index = checker.getSymbolAtLocation(program.getSourceFile(join(LIB, 'index.ts'))!)!;
  const resolve = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const exported = new Set<ts.Symbol>();
  const collect = (mod: ts.Symbol) => {
    for (const e of checker.getExportsOfModule(mod)) {
      const r = resolve(e);
      exported.add(r);
      if (r.flags & ts.SymbolFlags.Module) collect(r); // `export * as validators`
    }
  };
  collect(index);
  const inLib = (s: ts.Symbol) => (s.declarations ?? []).some((d) => d.getSourceFile().fileName.startsWith(LIB) && !d.getSourceFile().fileName.includes('/testing/'));
  const missing = new Map<string, string>();
  const seen = new Set<ts.Node>();

  const visitTypeNode = (node: ts.Node, where: string): void => {
    if (seen.has(node)) return;
    seen.add(node);
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
      const target = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
      const sym = checker.getSymbolAtLocation(target);
      if (sym) {
        const r = resolve(sym);
        if (inLib(r) && !(r.flags & ts.SymbolFlags.TypeParameter) && !exported.has(r) && !missing.has(r.name)) {
          missing.set(r.name, where);
          for (const d of r.declarations ?? []) visitDecl(d, `${r.name} (via ${where})`);
        }
      }
    }
    ts.forEachChild(node, (c) => visitTypeNode(c, where));
  };
  const isPublic = (m: ts.Node) => !(ts.getCombinedModifierFlags(m as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) && !(ts.isPropertyDeclaration(m) || ts.isMethodDeclaration(m) ? ts.isPrivateIdentifier(m.name) : false);
  const visitDecl = (d: ts.Node, where: string): void => {
    if (ts.isClassDeclaration(d)) {
      d.heritageClauses?.forEach((h) => visitTypeNode(h, where));
      for (const m of d.members) {
        if (!isPublic(m)) continue;
        if (ts.isConstructorDeclaration(m)) m.parameters.forEach((p) => p.type && visitTypeNode(p.type, where));
        else if (ts.isPropertyDeclaration(m) || ts.isGetAccessor(m)) m.type ? visitTypeNode(m.type, where) : undefined;
        else if (ts.isMethodDeclaration(m)) {
          m.parameters.forEach((p) => p.type && visitTypeNode(p.type, where));
          if (m.type) visitTypeNode(m.type, where);
        }
      }
    } else if (ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d) || ts.isFunctionDeclaration(d)) {
      ts.forEachChild(d, (c) => (ts.isBlock(c) ? undefined : visitTypeNode(c, where)));
    } else if (ts.isVariableDeclaration(d) && d.type) visitTypeNode(d.type, where);
  };
  for (const s of exported) for (const d of s.declarations ?? []) if (inLib(s)) visitDecl(d, s.name);
  return [...missing].map(([name, where]) => `${name} (named by ${where})`).sort();
}

describe('package root exports', () => {
  it('exports every type a public signature names', () => {
    expect(missingExports()).toEqual([]);
  });
});
